"""Differential privacy for a released table (OpenDP): discrete Laplace noise on every cell of
a partition (each person is in exactly one cell, so one person changes the table by at most 1),
with ε recorded in the county's ledger and the accuracy said in words: each noisy count is
within ± `accuracy` of the true one 95% of the time.

OpenDP's core (the `opendp` package, MIT) needs no extras here; its `opendp[polars]` extra pins
polars 1.36.1, older than the polars this project runs, so it is not used.
"""
from __future__ import annotations

import functools
import math

from anju.monitoring.rules import Dim

FIXED_DIMS = {Dim.TOTAL.value, Dim.SEX.value, Dim.AGE_BAND.value, Dim.REASON.value,
              Dim.STAY.value, Dim.PERMIT.value}
ALPHA = 0.05


@functools.cache
def _dp():
    import opendp.prelude as dp

    dp.enable_features("contrib")
    return dp


def measurement(epsilon: float):
    """The discrete Laplace mechanism over a vector of counts, sensitivity 1, privacy ε."""
    dp = _dp()
    scale = 1.0 / epsilon
    space = dp.vector_domain(dp.atom_domain(T=int)), dp.l1_distance(T=int)
    return dp.m.make_laplace(*space, scale=scale), scale


def accuracy(scale: float, alpha: float = ALPHA) -> int:
    """The largest |noise| seen with probability at least 1 − alpha."""
    # α = P(|noise| ≥ a) for OpenDP's float a; its floor keeps the coverage (integer noise)
    return math.floor(_dp().discrete_laplacian_scale_to_accuracy(scale=scale, alpha=alpha))


def release(counts: list[int], epsilon: float) -> tuple[list[int], float, int]:
    """(noisy counts, scale, accuracy). Negative noisy counts are shown as 0 (post-processing
    costs no privacy)."""
    mechanism, scale = measurement(epsilon)
    assert abs(mechanism.map(d_in=1) - epsilon) < 1e-9  # ε is what the ledger records
    noisy = mechanism([int(c) for c in counts]) if counts else []
    return [max(0, int(n)) for n in noisy], scale, accuracy(scale)
