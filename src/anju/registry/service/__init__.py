"""Registry use cases: the only code that writes persons, houses, registrations and permits (with
`anju.registry.bulk`, its loads by the thousand).

Every function takes the session and the acting identity, asks `Access` (policy, reach, purpose;
reads are recorded on the audit chain by the access layer itself), writes, and appends the audit
entry of the write, all inside the caller's unit of work. The use cases live by subject:

- `persons`        — read, find, search and record persons; a landlord's reach over tenants
- `houses`         — register, read, list and correct houses and their rooms
- `registrations`  — submit, decide, end, read and list residence registrations
- `permits`        — permit eligibility, issue, endorsement, the permits a person holds

`from anju.registry import service; service.read_person(...)` reaches all of them.
"""
from __future__ import annotations

from anju.registry.service.houses import (
    add_room,
    create_house,
    house_out,
    list_houses,
    list_rooms_for_registration,
    read_house,
    refuse_same_house,
    remove_room,
    same_house,
    update_house,
    update_room,
)
from anju.registry.service.permits import (
    endorse_permit,
    issue_permit,
    list_permits,
    permit_eligibility,
    take_serials,
)
from anju.registry.service.persons import (
    ACTIVE,
    APPROVED,
    cipher,
    create_person,
    find_person_by_id_number,
    find_persons_by_id_numbers,
    landlord_reach,
    person_division,
    person_view,
    read_person,
    region_division,
    search_landlords,
    search_persons,
)
from anju.registry.service.registrations import (
    approve_registration,
    end_registration,
    list_registrations,
    overlap_refusal,
    read_registration,
    registration_out,
    reject_registration,
    settle_division,
    submit_registration,
)

__all__ = [
    "ACTIVE", "APPROVED", "add_room", "approve_registration", "cipher",
    "create_house", "create_person", "end_registration", "endorse_permit",
    "find_person_by_id_number", "find_persons_by_id_numbers", "house_out", "issue_permit",
    "landlord_reach", "list_houses", "list_permits", "list_registrations",
    "list_rooms_for_registration", "overlap_refusal", "permit_eligibility", "person_division",
    "person_view", "read_house", "read_person", "read_registration", "refuse_same_house",
    "region_division", "registration_out", "reject_registration", "remove_room", "same_house",
    "search_landlords", "search_persons", "settle_division", "submit_registration",
    "take_serials", "update_house", "update_room",
]
