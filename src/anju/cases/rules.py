"""Pure rules of a public-service case: its states and the transitions between them, the
deadline warnings, the national five-level satisfaction scale (好差评). No I/O."""
from __future__ import annotations

from enum import StrEnum

from anju.core.errors import Conflict


class CaseStatus(StrEnum):
    SUBMITTED = "submitted"  # 已提交: waiting for the department to accept it
    ACCEPTED = "accepted"  # 已受理: the working-day clock runs from the day after
    NOT_ACCEPTED = "not_accepted"  # 不予受理 (with reason)
    IN_PROGRESS = "in_progress"  # 办理中
    SUPPLEMENT = "supplement"  # 补正: the clock stops until the applicant answers
    APPROVED = "approved"  # 办结（准予）
    REJECTED = "rejected"  # 办结（不予批准, with reason)
    WITHDRAWN = "withdrawn"  # 已撤回 by the applicant


STATUS_WORDS = {
    CaseStatus.SUBMITTED: ("已提交", "submitted"), CaseStatus.ACCEPTED: ("已受理", "accepted"),
    CaseStatus.NOT_ACCEPTED: ("不予受理", "not accepted"),
    CaseStatus.IN_PROGRESS: ("办理中", "in progress"),
    CaseStatus.SUPPLEMENT: ("待补正", "supplement requested"),
    CaseStatus.APPROVED: ("已办结（准予）", "approved"),
    CaseStatus.REJECTED: ("已办结（不予批准）", "rejected"),
    CaseStatus.WITHDRAWN: ("已撤回", "withdrawn"),
}
OPEN = frozenset({CaseStatus.SUBMITTED, CaseStatus.ACCEPTED, CaseStatus.IN_PROGRESS,
                  CaseStatus.SUPPLEMENT})
CLOCKED = frozenset({CaseStatus.ACCEPTED, CaseStatus.IN_PROGRESS})  # the deadline clock runs
FINAL = frozenset({CaseStatus.NOT_ACCEPTED, CaseStatus.APPROVED, CaseStatus.REJECTED,
                   CaseStatus.WITHDRAWN})


class Transition(StrEnum):
    """What someone does to a case; each is a policy action of its own (cases.policy)."""

    ACCEPT = "accept"
    NOT_ACCEPT = "not_accept"
    START = "start"  # a department begins its work (accepted → in progress)
    REQUEST_SUPPLEMENT = "request_supplement"
    SUPPLY = "supply"  # the applicant answers a supplement request
    DECIDE_APPROVE = "approve"
    DECIDE_REJECT = "reject"
    WITHDRAW = "withdraw"
    TRANSFER = "transfer"  # to another department; the state does not change


# from → {transition: to}
MACHINE: dict[CaseStatus, dict[Transition, CaseStatus]] = {
    CaseStatus.SUBMITTED: {
        Transition.ACCEPT: CaseStatus.ACCEPTED, Transition.NOT_ACCEPT: CaseStatus.NOT_ACCEPTED,
        Transition.WITHDRAW: CaseStatus.WITHDRAWN, Transition.TRANSFER: CaseStatus.SUBMITTED},
    CaseStatus.ACCEPTED: {
        Transition.START: CaseStatus.IN_PROGRESS,
        Transition.REQUEST_SUPPLEMENT: CaseStatus.SUPPLEMENT,
        Transition.DECIDE_APPROVE: CaseStatus.APPROVED,
        Transition.DECIDE_REJECT: CaseStatus.REJECTED,
        Transition.WITHDRAW: CaseStatus.WITHDRAWN, Transition.TRANSFER: CaseStatus.ACCEPTED},
    CaseStatus.IN_PROGRESS: {
        Transition.REQUEST_SUPPLEMENT: CaseStatus.SUPPLEMENT,
        Transition.DECIDE_APPROVE: CaseStatus.APPROVED,
        Transition.DECIDE_REJECT: CaseStatus.REJECTED,
        Transition.WITHDRAW: CaseStatus.WITHDRAWN, Transition.TRANSFER: CaseStatus.IN_PROGRESS},
    CaseStatus.SUPPLEMENT: {
        Transition.SUPPLY: CaseStatus.IN_PROGRESS, Transition.WITHDRAW: CaseStatus.WITHDRAWN,
        # an applicant who never answers: the department may close the case
        Transition.DECIDE_REJECT: CaseStatus.REJECTED},
}


def next_status(current: str, transition: Transition) -> CaseStatus:
    """The state `transition` leads to from `current`; a 409 naming the state otherwise."""
    status = CaseStatus(current)
    target = MACHINE.get(status, {}).get(transition)
    if target is None:
        zh, en = STATUS_WORDS[status]
        raise Conflict("case_state", f"案件当前状态为“{zh}”，不能执行此操作",
                       f"the case is {en}; this cannot be done now", field="status")
    return target


# --- deadline warnings ---------------------------------------------------------------------
class Warning(StrEnum):
    NONE = "none"
    YELLOW = "yellow"  # two working days or fewer remain
    RED = "red"  # overdue


YELLOW_WITHIN = 2


def warning_of(working_days_left: int | None) -> Warning:
    if working_days_left is None:
        return Warning.NONE
    if working_days_left < 0:
        return Warning.RED
    if working_days_left <= YELLOW_WITHIN:
        return Warning.YELLOW
    return Warning.NONE


# --- satisfaction (好差评): the national five-level scale ------------------------------------
RATING_WORDS = {5: ("非常满意", "very satisfied"), 4: ("满意", "satisfied"),
                3: ("基本满意", "fairly satisfied"), 2: ("不满意", "dissatisfied"),
                1: ("非常不满意", "very dissatisfied")}
RECTIFY_BELOW = 3  # 不满意 or 非常不满意 opens a rectification task (整改)
RECTIFY_WORKING_DAYS = 15


def needs_rectification(score: int) -> bool:
    return score < RECTIFY_BELOW
