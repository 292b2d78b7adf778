"""The policy is declared per domain and merged once: a rule naming an action or purpose no
domain declares is refused at the merge, every action and purpose the audit chain can record has
its words in both languages, and the audit chain takes nothing but those declared values."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from anju.core import audit, policy
from anju.core.domain import domains
from anju.core.policy import Action, Purpose, Role, Scope
from anju.web import i18n

J = Scope.JURISDICTION


def _part(**kw):
    return SimpleNamespace(**kw)


def test_a_rule_naming_an_undeclared_action_is_refused():
    known = Action("thing.read", "看东西", "Read a thing")
    stray = Action("thing.write", "写东西", "Wrote a thing")
    ok = _part(ACTIONS=(known,), PURPOSES=(), RULES={Role.POLICE: {known: (J,)}})
    bad = _part(ACTIONS=(), PURPOSES=(), RULES={Role.POLICE: {stray: (J,)}})
    assert policy.merge([("a", ok)]).rules[Role.POLICE] == {"thing.read": (J,)}
    with pytest.raises(policy.PolicyError, match="undeclared action 'thing.write'"):
        policy.merge([("a", ok), ("b", bad)])
    with pytest.raises(policy.PolicyError, match="undeclared action"):  # a bare string too
        policy.merge([("a", _part(ACTIONS=(known,), RULES={Role.POLICE: {"thing.read": (J,)}}))])


def test_a_purpose_no_domain_declares_or_declared_twice_is_refused():
    reading = Purpose("looking", "查看", "Looking", ("person_code", "name"))
    with pytest.raises(policy.PolicyError, match="not declared"):
        policy.merge([("a", _part(ACTIONS=(), PURPOSES=(), ROLE_PURPOSES={Role.POLICE: reading}))])
    with pytest.raises(policy.PolicyError, match="declared twice"):
        policy.merge([("a", _part(PURPOSES=(reading,))), ("b", _part(PURPOSES=(reading,)))])
    recording = Purpose("noting", "记录", "Noting")  # lists no fields: cannot be read under
    with pytest.raises(policy.PolicyError, match="lists no fields"):
        policy.merge([("a", _part(PURPOSES=(recording,),
                                  ROLE_PURPOSES={Role.POLICE: recording}))])


def test_every_domain_declares_its_policy_and_the_merge_holds():
    merged = policy.merged()
    owners = {d.name for d in domains() if d.policy}
    assert {"core", "registry", "housing", "exchange"} <= owners
    for role in merged.rules:
        assert isinstance(role, Role)
    # every role that reads persons has a purpose with fields; departments have theirs
    assert {Role.RESIDENT, Role.LANDLORD, Role.GRID_WORKER, Role.POLICE,
            Role.DATA_STEWARD} <= set(merged.role_purposes)
    assert merged.department_purposes["jiaoyu"].minors_only
    assert policy.department_code("hrss") == "renshe"


def test_every_action_and_purpose_has_words_in_both_languages(sqlite_db):
    from anju.web.app import create_app

    create_app(db=sqlite_db)  # the web registers the policy's words
    merged = policy.merged()
    for action in merged.actions.values():
        assert action.zh and action.en and action.zh != action.en, action
        assert i18n.t(f"action.{action.code}", "zh") == action.zh
        assert i18n.t(f"action.{action.code}", "en") == action.en
    for purpose in merged.purposes.values():
        assert purpose.zh and purpose.en, purpose
        assert i18n.t(f"purpose.{purpose.name}", "en") == purpose.en


def test_the_audit_chain_takes_only_declared_values():
    from anju.registry.policy import PERSON_READ, REGISTRATION_MANAGEMENT

    audit.AuditEvent(PERSON_READ, REGISTRATION_MANAGEMENT, "P1")
    with pytest.raises(TypeError):
        audit.AuditEvent("person.read", REGISTRATION_MANAGEMENT, "P1")
    with pytest.raises(TypeError):
        audit.AuditEvent(PERSON_READ, "registration_management", "P1")
    with pytest.raises(ValueError):
        Action("x.y", "", "no Chinese")


def test_no_account_can_hold_the_system_role(sqlite_db):
    from anju.core import identity
    from anju.core.errors import ValidationError

    with pytest.raises(ValidationError), sqlite_db.unit_of_work() as s:
        identity.create_account(s, username="sneaky", password="long-enough-1", role="system")
