"""The registry's pure rules that the service and the bulk loads share (no database)."""
from __future__ import annotations

from datetime import date

import pytest

from anju.core.errors import Conflict, ValidationError
from anju.registry import rules


def test_a_permit_runs_a_year_and_a_leap_day_permit_ends_on_28_february():
    assert rules.permit_valid_until(date(2026, 3, 1)) == date(2027, 3, 1)
    assert rules.permit_valid_until(date(2028, 2, 29)) == date(2029, 2, 28)


def test_permits_are_numbered_per_county_and_year_with_a_check_digit():
    county = rules.permit_county("330522001000")
    assert county == "330522" and rules.permit_serial_key(county, 2026) == "3305222026"
    number = rules.permit_number(county, 2026, 17)
    assert number.startswith("33052220260000017") and len(number) == 18
    assert rules.permit_number(county, 2026, 18)[:-1] != number[:-1]


def test_a_house_lies_in_a_township_or_finer():
    assert rules.house_division("330522001") == "330522001000"
    with pytest.raises(ValidationError) as coarse:
        rules.house_division("330522")
    assert (coarse.value.code, coarse.value.field) == ("division_too_coarse", "division_code")


@pytest.mark.parametrize("rooms,code", [([], "rooms_count"), ([("1", 1), ("1", 2)],
                                                             "room_label_repeated"),
                                        ([("1", 0)], "room_capacity"), ([("1", 201)],
                                                                         "room_capacity")])
def test_rooms_of_a_house(rooms, code):
    with pytest.raises(ValidationError) as refused:
        rules.check_rooms(rooms)
    assert refused.value.code == code and refused.value.field == "rooms"


def test_a_full_room_warns_or_refuses_as_the_county_says():
    assert rules.room_capacity(2, 1, refuse=True) == []
    [warning] = rules.room_capacity(1, 1, refuse=False)
    assert warning["code"] == "room_over_capacity" and "2" in warning["message_en"]
    with pytest.raises(Conflict) as full:
        rules.room_capacity(1, 1, refuse=True)
    assert full.value.http_status == 409 and full.value.code == "room_full"
    assert full.value.message_zh and full.value.message_en


def test_an_overlap_names_the_registration_only_when_given_it():
    told = rules.overlap_refusal("approved", 42)
    assert "42" in told.message_zh and "42" in told.message_en and "已登记" in told.message_zh
    untold = rules.overlap_refusal()
    assert untold.code == told.code == "registration_overlap" and untold.http_status == 409
    assert not any(c.isdigit() for c in untold.message_zh + untold.message_en)


def test_a_recorded_registration_says_what_its_state_needs():
    today = date(2026, 11, 2)
    rules.check_registration_record("ended", "work", date(2025, 1, 1), date(2025, 6, 1), None,
                                    today)
    for args, code in ((("ended", "work", date(2025, 1, 1), None, None), "end_date_state"),
                       (("rejected", "work", date(2025, 1, 1), None, ""),
                        "rejection_reason_state"),
                       (("lost", "work", date(2025, 1, 1), None, None), "registration_code")):
        with pytest.raises(ValidationError) as refused:
            rules.check_registration_record(*args, today)
        assert refused.value.code == code


def test_phones_are_stored_as_digits():
    assert rules.normalise_phone(" +86 138-0000-1111 ") == "13800001111"
    assert rules.normalise_phone("") is None
    with pytest.raises(ValidationError):
        rules.normalise_phone("23800001111")
