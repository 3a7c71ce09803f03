"""The steps a person may take on a case now, and each step's form as the command the
referral service takes.

Who may act is the matrix in `llwybr_contracts.permissions` (Act s.11-15, s.26-27), read with
who decides the case; when in the journey a step makes sense is a hint only (the journey itself
refuses a step that is not allowed now, and the page shows its reason)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from starlette.datastructures import FormData

from console.forms import FormErrors, read_date, value
from console.identity import User
from console.language import text
from llwybr_contracts.journey import ReasonCode
from llwybr_contracts.permissions import CaseAction, DecidedBy, roles_that_may
from llwybr_contracts.states import CaseState
from llwybr_contracts.vocabulary import RuleId

REASONS: tuple[str, ...] = ReasonCode.__args__  # type: ignore[attr-defined]
RECONSIDERING = {RuleId.LA_RECONSIDER_DECISION.value, RuleId.LA_RECONSIDER_IDP.value}
OPEN = {CaseState.CONSENT_PENDING, CaseState.DECISION_PENDING, CaseState.NO_ALN}
OPEN |= {CaseState.IDP_IN_PREPARATION, CaseState.IDP_ACTIVE, CaseState.CEASING}

Builder = Callable[[FormData, str, FormErrors, str], dict[str, Any]]


@dataclass(frozen=True)
class Step:
    action: CaseAction
    path: str  # under /api/v1/cases/{case_id}
    states: frozenset[str]
    build: Builder
    fields: tuple[str, ...]


def _note(form: FormData, prefix: str) -> str | None:
    return value(form, f"{prefix}note") or None


def _choice(
    form: FormData, prefix: str, field: str, allowed: tuple[str, ...], e: FormErrors, lang: str
) -> str:
    chosen = value(form, f"{prefix}{field}")
    if chosen not in allowed:
        e.add(field, text("field.choose-one", lang))
    return chosen


def _consent(form: FormData, p: str, e: FormErrors, lang: str) -> dict[str, Any]:
    status = _choice(form, p, "status", ("given", "refused"), e, lang)
    on = read_date(form, p, "date", e, lang, required=True)
    return {"status": status, "date": _iso(on)}


def _decision(form: FormData, p: str, e: FormErrors, lang: str) -> dict[str, Any]:
    outcome = _choice(form, p, "outcome", ("aln", "no-aln"), e, lang)
    decided = read_date(form, p, "decided_on", e, lang, required=True)
    # Regs: a no-ALN decision is met by its notice; an ALN decision by the plan (IdpIssued).
    notice = read_date(form, p, "notice_given_on", e, lang, required=outcome == "no-aln")
    return {
        "outcome": outcome,
        "decided_on": _iso(decided),
        "notice_given_on": _iso(notice),
        "note": _note(form, p),
    }


def _refer(form: FormData, p: str, e: FormErrors, lang: str) -> dict[str, Any]:
    on = read_date(form, p, "referred_on", e, lang, required=True)
    return {"referred_on": _iso(on), "note": _note(form, p)}


def _health(form: FormData, p: str, e: FormErrors, lang: str) -> dict[str, Any]:
    reason = value(form, f"{p}reason")
    if not reason:
        e.add("reason", text("field.health-reason-missing", lang))
    return {"reason": reason}


def _exception(form: FormData, p: str, e: FormErrors, lang: str) -> dict[str, Any]:
    action = _choice(form, p, "action", ("pause", "resume", "lift"), e, lang)
    rule = value(form, f"{p}rule")
    if not rule:
        e.add("rule", text("field.choose-one", lang))
    reason = _choice(form, p, "reason", REASONS, e, lang)
    start = read_date(form, p, "from", e, lang, required=True)
    until = read_date(form, p, "until", e, lang, required=False)
    return {
        "action": action,
        "rule": rule,
        "reason": reason,
        "from": _iso(start),
        "until": _iso(until),
        "note": _note(form, p),
    }


REQUESTERS = ("family", "young-person", "nhs-body", "school", "local-authority")


def _review(form: FormData, p: str, e: FormErrors, lang: str) -> dict[str, Any]:
    on = read_date(form, p, "requested_on", e, lang, required=True)
    by = _choice(form, p, "requested_by", REQUESTERS, e, lang)
    return {"requested_on": _iso(on), "requested_by": by, "note": _note(form, p)}


def _reconsideration(form: FormData, p: str, e: FormErrors, lang: str) -> dict[str, Any]:
    kind = _choice(form, p, "kind", ("decision", "idp", "cease"), e, lang)
    on = read_date(form, p, "received_on", e, lang, required=True)
    return {"kind": kind, "received_on": _iso(on), "note": _note(form, p)}


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _states(*states: CaseState) -> frozenset[str]:
    return frozenset(s.value for s in states)


STEPS: dict[str, Step] = {
    s.action.value: s
    for s in (
        Step(
            CaseAction.RECORD_CONSENT,
            "consent",
            _states(CaseState.CONSENT_PENDING),
            _consent,
            ("status", "date"),
        ),
        Step(
            CaseAction.RECORD_DECISION,
            "decision",
            _states(CaseState.DECISION_PENDING),
            _decision,
            ("outcome", "decided_on", "notice_given_on", "note"),
        ),
        Step(
            CaseAction.REFER_TO_LA,
            "referral-to-la",
            _states(CaseState.DECISION_PENDING),
            _refer,
            ("referred_on", "note"),
        ),
        Step(
            CaseAction.REQUEST_HEALTH_INPUT,
            "health-requests",
            _states(*OPEN),
            _health,
            ("reason",),
        ),
        Step(
            CaseAction.RECORD_EXCEPTION,
            "exceptions",
            _states(*OPEN),
            _exception,
            ("action", "rule", "reason", "from", "until", "note"),
        ),
        Step(
            CaseAction.REQUEST_REVIEW,
            "review-requests",
            _states(CaseState.IDP_ACTIVE),
            _review,
            ("requested_on", "requested_by", "note"),
        ),
        Step(
            CaseAction.REQUEST_RECONSIDERATION,
            "reconsideration-requests",
            _states(CaseState.NO_ALN, CaseState.IDP_ACTIVE, CaseState.CEASING),
            _reconsideration,
            ("kind", "received_on", "note"),
        ),
    )
}


def decided_by(case: dict[str, Any]) -> DecidedBy:
    """Who decides the case now, as the permissions matrix reads it."""
    if case.get("deciding_body") == "school":
        open_rules = {
            c["rule"] for c in case.get("clocks", []) if c["status"] in ("running", "paused")
        }
        return DecidedBy.LA_RECONSIDERING if open_rules & RECONSIDERING else DecidedBy.SCHOOL
    if case.get("deciding_body") == "fei":
        return DecidedBy.FEI
    return DecidedBy.LOOKED_AFTER if case.get("looked_after") else DecidedBy.LOCAL_AUTHORITY


def allowed_steps(user: User, case: dict[str, Any]) -> list[Step]:
    """The steps this person's roles may take on this case, in the journey's state now."""
    decided = decided_by(case)
    roles = set(user.roles)
    return [
        step
        for step in STEPS.values()
        if case.get("state") in step.states
        and {r.value for r in roles_that_may(step.action, decided)} & roles
    ]


def may_withdraw(user: User, case: dict[str, Any]) -> bool:
    """Whether this person's roles may withdraw the case's health requests."""
    allowed = roles_that_may(CaseAction.WITHDRAW_HEALTH_INPUT, decided_by(case))
    return bool({r.value for r in allowed} & set(user.roles))
