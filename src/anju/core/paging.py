"""One page of a longer listing, and how long the listing is.

A `Page` is a list (callers that only iterate keep working) that also knows the total number of
matching rows and where it starts, so pages can say "1,776 in all, 51–100" and the API can send
`X-Total-Count`.
"""
from __future__ import annotations

from collections.abc import Iterable

MAX_LIMIT = 200  # rows per page, at most


class Page(list):
    def __init__(self, items: Iterable = (), *, total: int = 0, offset: int = 0,
                 limit: int = MAX_LIMIT) -> None:
        super().__init__(items)
        self.total, self.offset, self.limit = total, offset, limit

    @property
    def first(self) -> int:
        """1-based number of the first row shown (0 when empty)."""
        return self.offset + 1 if self else 0

    @property
    def last(self) -> int:
        return self.offset + len(self)

    @property
    def has_previous(self) -> bool:
        return self.offset > 0

    @property
    def has_next(self) -> bool:
        return self.offset + len(self) < self.total
