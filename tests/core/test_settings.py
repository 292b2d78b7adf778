"""Settings fail fast when insecure, and every setting is documented."""
from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from anju.core.config import DEFAULT_SECRET, Settings

ROOT = Path(__file__).resolve().parents[2]


def test_default_secret_refused_outside_development():
    with pytest.raises(ValidationError):
        Settings(environment="production", secret_key=DEFAULT_SECRET)
    with pytest.raises(ValidationError):
        Settings(environment="production", secret_key="short")
    assert Settings(environment="development", secret_key=DEFAULT_SECRET)


def test_every_setting_is_documented():
    doc = (ROOT / "docs" / "operations.md").read_text()
    missing = [f"ANJU_{name.upper()}" for name in Settings.model_fields
               if f"ANJU_{name.upper()}" not in doc]
    assert not missing, f"undocumented settings: {missing}"


def test_training_is_an_environment_and_needs_its_own_secret():
    assert Settings(environment="training", secret_key="x" * 20).environment == "training"
    with pytest.raises(ValidationError):
        Settings(environment="training", secret_key=DEFAULT_SECRET)
    with pytest.raises(ValidationError, match="training"):
        Settings(environment="staging")


def test_the_date_may_be_pinned_except_in_production():
    for environment in ("development", "test", "training"):
        pinned = Settings(environment=environment, secret_key="x" * 40, today="2027-01-04")
        assert str(pinned.today) == "2027-01-04"
    with pytest.raises(ValidationError, match="ANJU_TODAY"):
        Settings(environment="production", secret_key="x" * 40, today="2027-01-04")
    with pytest.raises(ValidationError):
        Settings(today="2027-13-01")
    assert Settings(environment="production", secret_key="x" * 40).today is None
