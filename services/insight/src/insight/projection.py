"""From a case's events to its facts: pure, so the consumer (one case at a time) and
`llwybr insight rebuild` (every case) derive exactly the same rows from the event table.

Events are read in the order they were written (`time`, then a clock's start before its changes
and its end), whatever order the topics delivered them in.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from insight.models import CaseFact, ClockFact, InsightEvent
from llwybr_clock.shipped import find_authority
from llwybr_contracts.learner_codes import YearGroup
from llwybr_contracts.vocabulary import RuleId

OPEN_STATES = ("running", "paused", "lifted")
UNKNOWN = YearGroup.UNKNOWN.value  # the same code in both lists
# The clocks that time a reconsideration (Act s.26, s.27, s.36; docs/rules.md).
RECONSIDERATION_RULES = (RuleId.LA_RECONSIDER_DECISION.value, RuleId.LA_RECONSIDER_IDP.value)
# Within one instant, the order a journey writes a clock's events in.
_RANK = {"ClockMet": 0, "ClockStarted": 1, "ClockChanged": 2}


def ordered(events: Iterable[InsightEvent]) -> list[InsightEvent]:
    return sorted(events, key=lambda e: (e.time, _RANK.get(e.name, 3), e.event_id))


def board_of(authority: str | None) -> str | None:
    if not authority:
        return None
    try:
        return find_authority(authority).health_board_ons_code
    except Exception:  # an authority code outside the shipped table: no board to group by
        return None


def _maintainer(body: str | None) -> str | None:
    """`school:<ref>` / `la:<ONS>` / `fei:<ref>` (idp) or a deciding body -> school | la | fei."""
    if not body:
        return None
    kind = body.split(":", 1)[0]
    return {"school": "school", "la": "la", "local-authority": "la", "fei": "fei"}.get(kind)


@dataclass
class Projection:
    case: CaseFact
    clocks: list[ClockFact] = field(default_factory=list)

    def _open(self, rule: str, request_id: str | None) -> ClockFact | None:
        for clock in reversed(self.clocks):
            if clock.rule == rule and clock.request_id == request_id and clock.state in OPEN_STATES:
                return clock
        return None

    def _end_open(self, on: date, rule: str | None = None, request_id: str | None = None) -> None:
        for clock in self.clocks:
            if clock.state not in OPEN_STATES:
                continue
            if rule is not None and (clock.rule, clock.request_id) != (rule, request_id):
                continue
            clock.state, clock.ended_on = "ended", on

    def apply(self, event: InsightEvent) -> None:
        d, name, case = event.data, event.name, self.case
        if name in ("ReferralReceived", "CaseOpened", "JourneyStarted", "HealthInputRequested"):
            case.authority = case.authority or d.get("authority")
        if name in ("ReferralReceived", "CaseOpened"):
            self._codes(d)
        if name in ("IdpIssued", "IdpReviewed") and "provision_items" in d:  # version 2
            case.provision_items = d["provision_items"]
            case.provision_items_in_welsh = d["provision_items_in_welsh"]
        if name == "ReferralReceived":
            case.referral_source, case.referral_kind = d["source"], d["kind"]
            case.received_on = case.received_on or date.fromisoformat(d["received_on"])
        elif name == "CaseOpened":
            case.authority = d["authority"]
            case.received_on = date.fromisoformat(d["received_on"])
            case.deciding_body = d.get("deciding_body") or case.deciding_body
            case.school_ref = d.get("school_ref") or case.school_ref
        elif name == "CaseRouted":
            case.deciding_body = d["deciding_body"]
            case.school_ref = d.get("school_ref") or case.school_ref
            case.fei_ref = d.get("institution") or case.fei_ref  # version 2: the deciding FEI
        elif name == "AlnDecided":
            case.has_aln, case.deciding_body = d["has_aln"], d["deciding_body"]
            case.decided_on = date.fromisoformat(d["decided_on"])
            # The journey meets a reconsideration's clock and then emits the authority's
            # decision (Act s.26(3), s.27): the decision is that reconsideration's outcome.
            done, told = case.reconsiderations_decided, case.reconsideration_outcomes
            if len(told) < len(done):
                outcome = "aln" if d["has_aln"] else "no-aln"
                case.reconsideration_outcomes = [*told, f"{done[len(told)]}|{outcome}"]
        elif name == "IdpIssued":
            case.idp_issued_on = case.idp_issued_on or date.fromisoformat(d["on"])
            case.idp_maintainer = case.idp_maintainer or _maintainer(case.deciding_body)
        elif name == "IdpTransferred":
            case.idp_maintainer = _maintainer(d["to_body"]) or case.idp_maintainer
            if d["to_body"].startswith("fei:"):
                case.fei_ref = d["to_body"].removeprefix("fei:")
        elif name == "IdpCeased":
            case.idp_ceased_on = date.fromisoformat(d["on"])
        elif name == "DisagreementRaised":
            case.disagreements = [*case.disagreements, d["raised_on"]]
        elif name == "DisagreementConcluded":
            ended = f"{d['concluded_on']}|{d['outcome']}"
            case.disagreement_outcomes = [*case.disagreement_outcomes, ended]
        elif name == "AppealLodged":
            case.appeals_lodged = [*case.appeals_lodged, d["lodged_on"]]
        elif name == "AppealDecided":
            case.appeal_outcomes = [*case.appeal_outcomes, f"{d['decided_on']}|{d['outcome']}"]
        elif name == "CaseClosed":
            case.closed_on = date.fromisoformat(d["closed_on"])
            self._end_open(case.closed_on)
        elif name == "HealthInputWithdrawn":
            self._end_open(
                date.fromisoformat(d["withdrawn_on"]), RuleId.HEALTH_RESPONSE.value, d["request_id"]
            )
        elif name in ("ClockStarted", "ClockChanged", "ClockMet", "DeadlineBreached"):
            self._clock(name, d)

    def _codes(self, d: dict[str, Any]) -> None:
        """Version 2 codes; a later referral's known code replaces an earlier one (it says
        where the learner is now), `unknown` replaces nothing."""
        case = self.case
        year_group, language = d.get("year_group"), d.get("language_of_education")
        if year_group and (year_group != UNKNOWN or case.year_group is None):
            case.year_group = year_group
            case.year_group_on = date.fromisoformat(d["received_on"])
        if language and (language != UNKNOWN or case.language_of_education is None):
            case.language_of_education = language

    def _clock(self, name: str, d: dict[str, object]) -> None:
        rule, request_id = str(d["rule"]), d.get("request_id")
        request_id = str(request_id) if request_id is not None else None
        due = date.fromisoformat(str(d["due"])) if d.get("due") else None
        if name == "ClockStarted":
            start = date.fromisoformat(str(d["start"]))
            # A clock started again replaces the running one (the journey keeps one per rule).
            self._end_open(start, rule, request_id)
            n = 1 + sum(1 for c in self.clocks if (c.rule, c.request_id) == (rule, request_id))
            self.clocks.append(
                ClockFact(
                    id=f"{self.case.case_id}:{rule}:{request_id or ''}:{n}",
                    case_id=self.case.case_id,
                    rule=rule,
                    request_id=request_id,
                    n=n,
                    start=start,
                    due=due,
                )
            )
            if rule in RECONSIDERATION_RULES:
                self.case.reconsiderations = [*self.case.reconsiderations, start.isoformat()]
            return
        clock = self._open(rule, request_id)
        if clock is None:
            return  # its start was not seen (an older journey): nothing to time
        if name == "ClockChanged":
            change, reason = str(d["change"]), d.get("reason") or "unstated"
            clock.due = due
            if change in ("paused", "lifted"):
                clock.state = change
                clock.exceptions = [*clock.exceptions, f"{change}:{reason}"]
            elif change == "resumed":
                clock.state = "running"
        elif name == "DeadlineBreached":
            clock.breached_on = due
        elif name == "ClockMet":
            clock.state, clock.met_on = "met", date.fromisoformat(str(d["met_on"]))
            clock.met_due = clock.due = due
            if rule in RECONSIDERATION_RULES:  # the authority has decided (Act s.26(3), s.27)
                decided = [*self.case.reconsiderations_decided, clock.met_on.isoformat()]
                self.case.reconsiderations_decided = decided


def project(case_id: str, events: Iterable[InsightEvent]) -> Projection:
    """The facts of one case from all its events."""
    out = Projection(CaseFact(case_id=case_id))
    for event in ordered(events):
        out.apply(event)
    case = out.case
    case.board = board_of(case.authority)
    for clock in out.clocks:
        clock.authority, clock.board = case.authority, case.board
        clock.school_ref, clock.fei_ref = case.school_ref, case.fei_ref
    return out
