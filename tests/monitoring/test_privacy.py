"""Differential-privacy releases (OpenDP): the noise keeps to the stated accuracy, ε is what
the ledger records, a table is answered again without spending more, and the yearly budget
caps the sum of ε."""
from __future__ import annotations

import statistics

import pytest

from anju.core import divisions
from anju.core.errors import Conflict
from anju.core.policy import Actor, Role
from anju.monitoring import privacy, service
from anju.monitoring.schemas import SettingsIn
from tests.factories import COUNTY


@pytest.mark.parametrize("epsilon", [0.2, 1.0])
def test_the_noise_keeps_to_the_stated_accuracy(epsilon):
    truth = [40 + i % 300 for i in range(8_000)]
    noisy, scale, accuracy = privacy.release(truth, epsilon)
    assert scale == pytest.approx(1 / epsilon)
    errors = [n - t for n, t in zip(noisy, truth, strict=True)]
    within = sum(abs(e) <= accuracy for e in errors) / len(errors)
    # "within ± accuracy 95% of the time": 8,000 draws put the share within ±1% of the truth
    assert within >= 0.94
    # and the accuracy is not a loose bound: a third of it is exceeded far more often than 5%
    assert sum(abs(e) <= accuracy // 3 for e in errors) / len(errors) < 0.9
    assert abs(statistics.fmean(errors)) < 3 * scale * (2 / len(errors)) ** 0.5 + 0.05
    assert accuracy > 0 and any(e != 0 for e in errors)


def test_a_smaller_epsilon_means_more_noise_and_a_wider_accuracy():
    _, _, tight = privacy.release([100], 2.0)
    _, _, loose = privacy.release([100], 0.1)
    assert loose > 5 * tight


def _leader() -> Actor:
    return Actor(None, "t-leader", Role.LEADER, divisions.canonical(COUNTY))


def test_a_release_is_recorded_once_and_the_budget_caps_it(county_data):
    db, built = county_data
    leader = _leader()
    with db.unit_of_work() as s:
        service.update_settings(s, leader, SettingsIn(
            growth_warning_pct=30, grid_load_max=2000, anomaly_level=0.99,
            mobile_retention_days=90, dp_budget=1.0, dp_epsilon=0.6))
    try:
        with db.unit_of_work() as s:
            first = service.dp_release(s, leader, None, "township", "sex")
        truth = {(c.division_code, c.key): built.planner.values.get(
            ("stock", first.date, c.division_code, "sex", c.key), 0) for c in first.cells}
        errors = [c.count - truth[(c.division_code, c.key)] for c in first.cells]
        assert len(errors) >= 20 and any(errors)  # every cell shown, with noise
        assert sum(abs(e) > first.accuracy for e in errors) <= len(errors) * 0.25
        assert first.epsilon == 0.6 and first.budget_left == pytest.approx(0.4)
        with db.unit_of_work() as s:  # the same table of the same build: no more ε spent
            again = service.dp_release(s, leader, None, "township", "sex")
            ledger = service.dp_ledger(s, leader)
        assert again.id == first.id and again.cells == first.cells
        assert again.budget_left == pytest.approx(0.4)
        assert [r["epsilon"] for r in ledger if r["id"] == first.id] == [0.6]
        with db.unit_of_work() as s, pytest.raises(Conflict) as refused:
            service.dp_release(s, leader, None, "township", "age_band")  # 0.6 + 0.6 > 1.0
        assert refused.value.code == "dp_budget_spent"
    finally:
        from sqlalchemy import delete

        from anju.monitoring.models import DpRelease, MonitoringSettings

        with db.unit_of_work() as s:
            s.execute(delete(DpRelease))
            s.execute(delete(MonitoringSettings))
