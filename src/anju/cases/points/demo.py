"""The demo county's points evidence (called by anju.demo.build): the resident persona has a
checked degree, three years of social insurance from the human-resources bureau and some
volunteering, so "my points" shows indicators from every kind of source."""
from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from anju.cases.models import PointsEvidence
from anju.registry import reads as registry


def seed(session: Session, resident_code: str, today: date) -> int:
    place = registry.person_place(session, resident_code)
    if place is None:
        return 0
    rows = [("education", "college", "upload", date(today.year - 8, 7, 1)),
            ("insurance_years", 3, "exchange:renshe", date(today.year, 1, 5)),
            ("volunteer_hours", 120, "upload", date(today.year, 3, 1))]
    session.add_all(PointsEvidence(person_code=resident_code, division_code=place.division_code,
                                   fact=fact, value={"v": value}, source=source,
                                   obtained_on=obtained_on, recorded_by="demo")
                    for fact, value, source, obtained_on in rows)
    return len(rows)
