"""Error types shared by every layer. Each carries a machine code and a message in both languages,
so the API, the pages and the import reports can show the same reason to staff and to developers."""

from __future__ import annotations

from dataclasses import dataclass


class AnjuError(Exception):
    """Base of all expected (user-facing) errors."""

    http_status = 400

    def __init__(self, code: str, message_zh: str, message_en: str, field: str | None = None):
        super().__init__(code, message_zh, message_en, field)
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en
        self.field = field

    def __str__(self) -> str:
        return f"{self.message_zh} / {self.message_en}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, field={self.field!r}, {str(self)!r})"

    def to_dict(self) -> dict[str, str | None]:
        return {"code": self.code, "message_zh": self.message_zh,
                "message_en": self.message_en, "field": self.field}


class ValidationError(AnjuError):
    """Input that cannot be accepted as given."""

    http_status = 422


class NotFound(AnjuError):
    http_status = 404


class Forbidden(AnjuError):
    http_status = 403


class Conflict(AnjuError):
    http_status = 409


class TooLarge(AnjuError):
    """A request body past the configured limit (`ANJU_MAX_UPLOAD_BYTES`)."""

    http_status = 413


class Unavailable(AnjuError):
    """The database could not be had in time (busy, locked, pool exhausted): try again shortly.
    `retry_after` is the seconds a client should wait (the `Retry-After` header)."""

    http_status = 503
    retry_after = 5


@dataclass(frozen=True, slots=True)
class ValidationIssue:
    """A non-fatal finding (a warning) reported alongside an accepted value."""

    code: str
    message_zh: str
    message_en: str

    def __str__(self) -> str:
        return f"{self.message_zh} / {self.message_en}"


@dataclass(frozen=True, slots=True)
class RowError:
    """One rejected row (or value) of an import or a bulk load: where it was and why, in both
    languages. Every import and bulk load reports with this one type; it holds no personal data,
    only the location. `row` is 1-based in the file's data (the header excluded; a JSON array's
    index + 1; a bulk load's input position + 1)."""

    row: int
    code: str
    message_zh: str
    message_en: str
    field: str | None = None
    file: str | None = None

    @classmethod
    def of(cls, row: int, error: AnjuError, *, file: str | None = None) -> RowError:
        """The row error saying what `error` says (its code, field and both messages)."""
        return cls(row, error.code, error.message_zh, error.message_en, error.field, file)

    def to_dict(self) -> dict:
        return {"row": self.row, "code": self.code, "field": self.field, "file": self.file,
                "message_zh": self.message_zh, "message_en": self.message_en}
