"""The journey's signals (facts from other contexts), pure: one function each, `(state, fact,
now) -> Outcome`. A fact whose event id was seen before changes nothing; a closed case only
remembers the id."""

from datetime import datetime

from llwybr_contracts import journey as j
from llwybr_contracts.journey import HealthInputOutcome
from llwybr_contracts.states import CaseState, DecidingBody
from llwybr_contracts.vocabulary import RuleId
from llwybr_workflows.journey.clockbook import nhs_impractical_lift
from llwybr_workflows.journey.state import JourneyState
from llwybr_workflows.journey.step import (
    Outcome,
    Step,
)

# -- signals: facts from other contexts (a seen event id changes nothing) ----------------------


def _fresh(s: JourneyState, event_id: str, now: datetime, *, needs_book: bool) -> Step:
    """The step for a fact, its event id now seen. `go` is False for a fact seen before, a
    closed case, or a fact that needs clocks and came before the calendars (the workflow holds
    early facts until it is ready; only journeys from before that drop them)."""
    step = Step(s, now)
    fresh = step.first_time(event_id)
    step.go = fresh and not s.closed and not (needs_book and step.book is None)
    return step


def idp_issued(s: JourneyState, fact: j.IdpIssuedFact, now: datetime) -> Outcome:
    step = _fresh(s, fact.event_id, now, needs_book=True)
    if not step.go or s.state != CaseState.IDP_IN_PREPARATION:
        # e.g. a plan re-issued after a reconsideration: its review clock runs on
        return step.done()
    # docs/rules.md "Met": an ALN decision clock is met when the IDP is issued
    if (clock := step.decision_clock()) is not None:
        step.meet(clock.key, fact.on)
    step.set_state(CaseState.IDP_ACTIVE)
    # Act ss.23-24: reviewed at least once in each 12-month period from the copy given
    step.start_clock(RuleId.IDP_REVIEW, fact.on)
    if s.maintainer in (DecidingBody.LOCAL_AUTHORITY, DecidingBody.FEI):
        step.open_appeal_window(fact.on)  # Act s.70: an LA's or an FEI's IDP is appealable
    return step.done()


def idp_reviewed(s: JourneyState, fact: j.IdpReviewedFact, now: datetime) -> Outcome:
    step = _fresh(s, fact.event_id, now, needs_book=True)
    if not step.go or s.state != CaseState.IDP_ACTIVE:
        return step.done()
    step.meet(RuleId.IDP_REVIEW, fact.on)
    if (r := step.open_rule(RuleId.LA_RECONSIDER_IDP)) is not None:
        step.meet(r.key, fact.on)
    step.set(reviews_held=s.reviews_held + 1)
    # Act s.24: the next period runs from the revised plan or no-revision notice
    step.require_book().records.pop(RuleId.IDP_REVIEW, None)
    step.start_clock(RuleId.IDP_REVIEW, fact.on)
    return step.done(continue_as_new=True)  # a new run for each review cycle


def idp_transferred(s: JourneyState, fact: j.IdpTransferredFact, now: datetime) -> Outcome:
    step = _fresh(s, fact.event_id, now, needs_book=False)
    if not step.go:
        return step.done()
    # Act s.35: the plan follows the learner; its review clock runs on unchanged
    if fact.to_body.startswith("la:"):
        step.set(
            maintainer=DecidingBody.LOCAL_AUTHORITY,
            deciding_authority=fact.to_body.removeprefix("la:"),
        )
    elif fact.to_body.startswith("school:"):
        step.set(maintainer=DecidingBody.SCHOOL)
    elif fact.to_body.startswith("fei:"):
        step.set(maintainer=DecidingBody.FEI)  # e.g. after an FEI agreed to take it over
    step.note(fact.on, "IdpTransferred", fact.to_body)
    step.wake = True
    return step.done()


def idp_ceased(s: JourneyState, fact: j.IdpCeasedFact, now: datetime) -> Outcome:
    step = _fresh(s, fact.event_id, now, needs_book=True)
    if not step.go or s.state != CaseState.IDP_ACTIVE:
        return step.done()
    step.set_state(CaseState.CEASING)
    if s.maintainer == DecidingBody.SCHOOL:
        # Act s.32, Regs reg 12: 4 weeks to ask the LA to reconsider a school's decision
        step.start_clock(RuleId.CEASE_RECONSIDER_REQUEST, fact.on)
    else:
        step.open_appeal_window(fact.on)  # Act s.70: an LA's decision to cease is appealable
    return step.done()


def health_input_outcome(s: JourneyState, outcome: HealthInputOutcome, now: datetime) -> Outcome:
    step = Step(s, now)
    record = step.health.get(outcome.request_id)
    if record is None or record.outcome is not None or step.book is None:
        return Outcome(s)
    step.health[outcome.request_id] = record.model_copy(
        update={"outcome": outcome.outcome, "on": outcome.on}
    )
    key = f"{RuleId.HEALTH_RESPONSE}:{outcome.request_id}"
    shadow = step.book.get(key)
    if shadow is None:
        return step.done()
    if outcome.outcome == "impractical":
        step.book.put(nhs_impractical_lift(shadow, outcome.on, now))
    else:
        step.meet(key, outcome.on)
    # docs/rules.md: an answer (or none) never pauses the decision clock by itself
    step.note(
        outcome.on,
        "HealthInputOutcome",
        f"request_id={outcome.request_id} outcome={outcome.outcome}",
    )
    return step.done()


def disagreement_raised(s: JourneyState, fact: j.DisagreementRaisedFact, now: datetime) -> Outcome:
    step = _fresh(s, fact.event_id, now, needs_book=True)
    if not step.go:
        return step.done()
    record = step.open_rule(RuleId.TRIBUNAL_APPEAL)
    if record is None or not fact.disagreement_resolution or record.disagreement_resolution:
        return step.done()
    # ETW Regs reg 14: Act s.68 disagreement resolution begun before the 8 weeks ran out
    if record.last_due is None or fact.raised_on > record.last_due:
        return step.done()
    before = record.last_due
    record = step.require_book().put(record.model_copy(update={"disagreement_resolution": True}))
    step.changed(record, before, "recomputed", "disagreement-resolution")
    step.wake = True
    return step.done()


def appeal_lodged(s: JourneyState, fact: j.AppealLodgedFact, now: datetime) -> Outcome:
    step = _fresh(s, fact.event_id, now, needs_book=True)
    if not step.go:
        return step.done()
    step.set(appeal_lodged=True)
    step.meet(RuleId.TRIBUNAL_APPEAL, fact.lodged_on)  # the duty timed is the appeal made
    return step.done()


def appeal_decided(
    s: JourneyState,
    fact: j.AppealDecidedFact,
    now: datetime,
    *,
    orders_idp: bool = True,
    review_window: bool = True,
) -> Outcome:
    """`orders_idp`: an order to prepare or keep an IDP (outcome `aln`) moves the case on;
    journeys whose history predates it (patches.APPEAL_ORDER_REOPENS_IDP) only note it.
    `review_window`: the decision opens the parties' 28 days to ask for a review, and a case it
    ends closes when they pass unasked (patches.TRIBUNAL_REVIEW_WINDOW; before, at once)."""
    step = _fresh(s, fact.event_id, now, needs_book=False)
    if not step.go:
        return step.done()
    step.note(fact.decided_on, "AppealDecided", fact.outcome)
    closes = s.state in (CaseState.NO_ALN, CaseState.CEASING) and fact.outcome != "aln"
    if review_window and step.book is not None:
        # ETW Regs reg 53: any party may ask the Tribunal to review its decision within 28 days
        # of it being sent [assumed: sent on the day it is decided]; a decision after a review
        # opens a fresh window
        step.book.records.pop(RuleId.TRIBUNAL_REVIEW_APPLICATION, None)
        step.start_clock(RuleId.TRIBUNAL_REVIEW_APPLICATION, fact.decided_on)
        step.set(close_after_review=closes)
        closes = False  # lifecycle.fire_alarms closes it when the window passes unasked
    if closes:
        step.close("appeal-decided", fact.decided_on)
    elif orders_idp and fact.outcome == "aln":
        # Act s.70 (appeal), s.74 (the Tribunal's powers, ETW Regs): an order binds the LA,
        # which prepares (or keeps) the IDP by the order's date (docs/rules.md section 7)
        if s.state == CaseState.NO_ALN:
            step.set(maintainer=DecidingBody.LOCAL_AUTHORITY)
            step.set_state(CaseState.IDP_IN_PREPARATION)
        elif s.state == CaseState.CEASING:
            step.set_state(CaseState.IDP_ACTIVE)  # the plan is kept
    step.wake = True
    return step.done()


def advocacy_handoff_accepted(
    s: JourneyState, fact: j.AdvocacyHandoffAcceptedFact, now: datetime
) -> Outcome:
    """An advocate took the case (Act s.69): the family's appeal window now also alerts the
    provider's advocate (`lifecycle.advocate_alarm`)."""
    step = _fresh(s, fact.event_id, now, needs_book=False)
    if not step.go:
        return step.done()
    step.set(advocacy_provider=fact.provider)
    step.note(fact.accepted_on, "AdvocacyHandoffAccepted", f"provider={fact.provider}")
    step.wake = True
    return step.done()


def calendar_changed(s: JourneyState, fact: j.CalendarChangedFact, now: datetime) -> Outcome:
    step = _fresh(s, fact.event_id, now, needs_book=False)
    if not step.go:
        return step.done()
    step.wake = True
    return step.done(reload_calendars=True)
