"""What the housing use cases share: the purposes they record under, whether an actor reaches a
person, and how an answer shows where a record is and whose it is."""
from __future__ import annotations

from collections.abc import Iterable, Iterator

from anju.core.access import Access, not_found, shown
from anju.core.config import get_settings
from anju.core.crypto import mask_name
from anju.core.errors import Forbidden, NotFound
from anju.core.policy import ADDRESS, Action
from anju.housing import policy as P
from anju.registry import service as registry

KEY_PURPOSE = P.E_KEY
TASK_PURPOSE = P.HOUSING_MANAGEMENT
FEE_PURPOSE = P.LOCK_SERVICE_FEE
ASSIST_PURPOSE = P.ASSISTED_TENANCY_MANAGEMENT
CHUNK = 5000  # values per IN (...) list


def chunks(values: Iterable, size: int = CHUNK) -> Iterator[list]:
    values = sorted(set(values))
    for i in range(0, len(values), size):
        yield values[i:i + size]


def county_of(division_code: str | None) -> str:
    return (division_code or get_settings().county_code)[:6]


def reaches_person(access: Access, action: Action, person_code: str) -> bool:
    """Whether the actor reaches the person at all (jurisdiction, self, or their landlord under
    an approved registration: the registry's rule)."""
    division = registry.person_division(access.session, person_code)
    if division is None:
        return False
    return access.reaches(action, division_code=division, person_codes=[person_code],
                          landlord_code=registry.landlord_reach(access.session, access.actor,
                                                                person_code))


def load(access: Access, action: Action, model, *where, zh: str, en: str,
         field: str | None = None):
    """`Access.load` (reach checked, the read recorded), answering "not found" with the record's
    name in both languages and the field that named it."""
    try:
        return access.load(action, model, *where, what=zh)
    except NotFound:
        raise not_found(zh, en, field) from None


def where_shown(access: Access, person_code: str | None, room_id: int | None,
                address: str | None, room_label: str | None) -> tuple:
    """(room_id, address, room_label) as the actor's purpose shows where a person lives (an
    actor with no purpose, an administrator recording a payment, is not told)."""
    try:
        purpose = access.purpose(person_code)
    except Forbidden:
        return None, None, None
    fields = shown(purpose, {ADDRESS: (room_id, address, room_label)})
    return fields.get(ADDRESS, (None, None, None))


def shown_name(access: Access, person_code: str, name: str | None) -> str | None:
    """Whose key or statement it is: the name masked, if the actor's purpose has names."""
    try:
        purpose = access.purpose(person_code)
    except Forbidden:
        return None
    return mask_name(name) if name and "name" in purpose.fields else None
