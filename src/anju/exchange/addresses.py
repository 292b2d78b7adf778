"""Resolve a column of department addresses to division codes (the vectorised side).

The address rules themselves live in `anju.core.addresses`, shared with the registry.
"""

from __future__ import annotations

import polars as pl

from anju.core.addresses import resolve

__all__ = ["resolve", "resolve_series"]


def resolve_series(addresses: pl.Series, home: str | None = None) -> pl.DataFrame:
    """Resolve a column of normalised addresses; unresolvable non-empty ones get an error code."""
    uniq = addresses.drop_nulls().unique().to_list()
    # each distinct address once, past the shared cache: an extract's current addresses are
    # nearly all different, and caching 100,000 of them would only hold memory
    table = {a: resolve.__wrapped__(a, home) for a in uniq}
    county = addresses.replace_strict({a: c for a, (c, _) in table.items()}, default=None,
                                      return_dtype=pl.String)
    town = addresses.replace_strict({a: t for a, (_, t) in table.items()}, default=None,
                                    return_dtype=pl.String)
    return pl.DataFrame({"a": addresses, "county_code": county, "township_code": town}).select(
        "county_code", "township_code",
        error=pl.when(pl.col("a").is_not_null() & pl.col("county_code").is_null())
        .then(pl.lit("address_unresolved")),
    )
