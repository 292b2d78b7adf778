"""Input as people write it, refusals as people read them (anju.core.inputs)."""
from __future__ import annotations

import re
import typing
from datetime import date

import pytest
from pydantic_core import core_schema

from anju.core import inputs
from anju.core.errors import ValidationError
from anju.housing.schemas import ConsentIn, ResolveIn
from anju.registry.rules import Reason
from anju.registry.schemas import HouseIn, PersonIn, RegistrationIn

CJK = re.compile(r"[\u4e00-\u9fff]")
ALLOWED_LATIN = {"YYYY", "MM", "DD", "HH", "JSON"}  # formats people type, said as such


@pytest.mark.parametrize("kind", typing.get_args(core_schema.ErrorType))
def test_every_pydantic_error_type_has_chinese_words(kind):
    zh, en = inputs.reason_for(kind, {"min_length": 2, "max_length": 9, "ge": 1, "le": 200,
                                      "gt": 0, "lt": 9, "multiple_of": 2,
                                      "expected": "'a', 'b'", "expected_zh": "甲、乙"})
    assert CJK.search(zh), (kind, zh)
    latin = set(re.findall(r"[A-Za-z]+", zh)) - ALLOWED_LATIN
    assert not latin - {"a", "b"}, (kind, zh)  # only the allowed values themselves
    assert en and not CJK.search(en.replace("甲、乙", "")), (kind, en)


def _api_inputs(app) -> set[str]:
    spec = app.openapi()
    names = set()
    for ops in spec["paths"].values():
        for op in ops.values():
            names |= {p["name"] for p in op.get("parameters", [])}
    for name, schema in spec["components"]["schemas"].items():
        if name.endswith("In") or name.startswith("Body_"):
            names |= set(schema.get("properties", {}))
    return names


def test_every_api_input_has_a_label(sqlite_db):
    from anju.web.app import create_app

    names = _api_inputs(create_app(db=sqlite_db))
    assert {"room_id", "reason", "division", "rooms", "capacity"} <= names
    assert not sorted(names - set(inputs.FIELDS)), "label these in anju.core.inputs.FIELDS"


def test_a_refusal_names_the_field_by_its_label():
    with pytest.raises(ValidationError) as caught:
        inputs.parse(RegistrationIn, {"person_code": "P1", "room_id": "abc",
                                      "start_date": "2026-01-05", "reason": "work"})
    assert caught.value.message_zh == "房间：应填写整数"
    assert caught.value.message_en == "Room: must be a whole number"
    assert caught.value.field == "room_id" and "room_id" not in caught.value.message_zh
    with pytest.raises(ValidationError) as caught:
        inputs.parse(HouseIn, {"address": "某路 1 号", "division_code": "330522001000",
                               "landlord_person_code": "P1",
                               "rooms": [{"label": "1", "capacity": 0}]})
    assert caught.value.message_zh == "房间（第 1 项）核定人数：不能小于 1"
    with pytest.raises(ValidationError) as caught:
        inputs.parse(HouseIn, {"address": "某路 1 号", "division_code": "330522001000",
                               "landlord_person_code": "P1", "rooms": []})
    assert caught.value.message_zh == "房间：至少 1 项"  # not "List should have at least 1 item"


@pytest.mark.parametrize("written,meant", [
    ("work", Reason.WORK), ("务工", Reason.WORK), ("Work", Reason.WORK),
    ("经商", Reason.BUSINESS), ("就学", Reason.STUDY), ("投亲靠友", Reason.FAMILY),
    ("投亲", Reason.FAMILY), ("稳定住所", Reason.STABLE_HOME), ("stable_home", Reason.STABLE_HOME),
    ("其他", Reason.OTHER)])
def test_residence_reason_is_read_as_people_write_it(written, meant):
    body = RegistrationIn(person_code="P1", room_id=1, start_date=date(2026, 1, 5),
                          reason=written)
    assert body.reason is meant and body.model_dump()["reason"] == meant.value


def test_other_enumerations_too():
    assert PersonIn(name="王芳", id_number="x", sex="女").sex == "F"
    assert PersonIn(name="王芳", id_number="x", sex="1").sex == "M"  # GB/T 2261.1 code
    assert ResolveIn(outcome="已搬离").outcome == "moved_out"
    assert ConsentIn(landlord_person_code="P1", method="当面同意", reference="村委会",
                     consented_at="2026-01-05T10:00").method == "in_person"


def test_an_unknown_value_lists_the_choices_in_chinese_and_the_schema_tells_the_truth():
    with pytest.raises(ValidationError) as caught:
        inputs.parse(RegistrationIn, {"person_code": "P1", "room_id": 1,
                                      "start_date": "2026-01-05", "reason": "fun"})
    assert caught.value.message_zh == "事由：请从以下选择：务工、就学、稳定住所、投亲靠友、经商、其他"
    schema = RegistrationIn.model_json_schema()["properties"]["reason"]
    accepted = set(schema["enum"])
    assert {"work", "务工", "Work", "投亲"} <= accepted and "fun" not in accepted
    for word in accepted:  # every spelling the schema lists is accepted ...
        RegistrationIn(person_code="P1", room_id=1, start_date=date(2026, 1, 5), reason=word)
    with pytest.raises(ValueError):  # ... and nothing else is
        RegistrationIn(person_code="P1", room_id=1, start_date=date(2026, 1, 5), reason="WORK")


def test_one_spelling_cannot_mean_two_values():
    from enum import StrEnum

    class Colour(StrEnum):
        RED = "red"
        BLUE = "blue"

    with pytest.raises(ValueError):
        inputs.choice(Colour, {Colour.RED: ("红",), Colour.BLUE: ("红",)})
