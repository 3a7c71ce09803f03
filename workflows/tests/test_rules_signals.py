"""The journey's signal rules, pure (no Temporal): one test per row of the signals table in
workflows/README.md; then the alarms, the carry into the next run and the early facts."""

from datetime import timedelta

import pytest
from rules_kit import NOW, START, at, begun, clock, journey, later, names, of, ok, setup

from llwybr_contracts import journey as j
from llwybr_contracts.events import ClockChanged, DeadlineAtRisk, DeadlineBreached
from llwybr_contracts.states import CaseState, DecidingBody
from llwybr_workflows.journey import rules
from llwybr_workflows.journey.contracts import JourneyCarry
from llwybr_workflows.journey.ladder import alert_target
from llwybr_workflows.journey.state import JourneyState, carried

pytestmark = pytest.mark.unit


def in_preparation(body: DecidingBody = DecidingBody.SCHOOL) -> JourneyState:
    decided = j.RecordDecision(actor="u-1", outcome="aln", decided_on=START)
    return ok(rules.record_decision(begun(body=body), decided, NOW)).state


def issued(body: DecidingBody = DecidingBody.SCHOOL, days: int = 20) -> JourneyState:
    fact = j.IdpIssuedFact(event_id="i-1", idp_id="p", on=START + timedelta(days=days))
    return rules.idp_issued(in_preparation(body), fact, later(days)).state


def no_aln_by_la() -> JourneyState:
    cmd = j.RecordDecision(actor="u-1", outcome="no-aln", decided_on=START, notice_given_on=START)
    return ok(rules.record_decision(begun(body=DecidingBody.LOCAL_AUTHORITY), cmd, NOW)).state


def test_idp_issued_meets_the_decision_clock_and_starts_the_review_cycle() -> None:
    on = START + timedelta(days=20)
    fact = j.IdpIssuedFact(event_id="i-1", idp_id="p", on=on)
    out = rules.idp_issued(in_preparation(), fact, later(20))
    assert out.state.state == CaseState.IDP_ACTIVE
    assert clock(out.state, "school-decision").met_on == on
    assert clock(out.state, "idp-review").start == on
    assert "tribunal-appeal" not in [c.rule for c in out.state.clocks]  # a school's plan
    la = rules.idp_issued(in_preparation(DecidingBody.LOCAL_AUTHORITY), fact, later(20))
    assert clock(la.state, "tribunal-appeal").start == on  # Act s.70: an LA's IDP
    # the same fact again (a redelivery) changes nothing
    again = rules.idp_issued(out.state, fact, later(20))
    assert again.state == out.state and again.events == ()


def test_idp_reviewed_starts_the_next_cycle_in_a_new_run() -> None:
    s = issued()
    held = START + timedelta(days=300)
    out = rules.idp_reviewed(s, j.IdpReviewedFact(event_id="r-1", idp_id="p", on=held), at(held))
    reviews = [c for c in out.state.clocks if c.rule == "idp-review"]
    assert [(c.start, c.met_on) for c in reviews] == [(held, None)]
    assert out.state.reviews_held == 1
    assert out.continue_as_new
    assert names(out) == ["ClockMet", "ClockStarted"]


def test_idp_transferred_changes_who_maintains_the_plan_and_the_review_runs_on() -> None:
    s = issued()
    review = clock(s, "idp-review")
    fact = j.IdpTransferredFact(event_id="t-1", idp_id="p", on=START, to_body="la:W06000016")
    out = rules.idp_transferred(s, fact, later(20))
    assert out.state.maintainer == DecidingBody.LOCAL_AUTHORITY
    assert out.state.deciding_authority == "W06000016"
    assert clock(out.state, "idp-review") == review
    back = j.IdpTransferredFact(event_id="t-2", idp_id="p", on=START, to_body="school:sch-2")
    assert rules.idp_transferred(out.state, back, later(20)).state.maintainer == "school"


def test_idp_ceased_opens_the_familys_window() -> None:
    on = START + timedelta(days=30)
    fact = j.IdpCeasedFact(event_id="c-1", idp_id="p", on=on, reason="left")
    school = rules.idp_ceased(issued(), fact, later(30))
    assert school.state.state == CaseState.CEASING
    assert clock(school.state, "cease-reconsider-request").start == on
    la = rules.idp_ceased(issued(DecidingBody.LOCAL_AUTHORITY), fact, later(30))
    # Act s.70: the cease notice opens a fresh window in place of the plan's own (one clock)
    assert [c.start for c in la.state.clocks if c.rule == "tribunal-appeal"] == [on]
    assert la.state.state == CaseState.CEASING


def test_disagreement_resolution_extends_the_appeal_window_once() -> None:
    s = no_aln_by_la()
    due = clock(s, "tribunal-appeal").last_due
    assert due is not None
    fact = j.DisagreementRaisedFact(event_id="d-1", raised_on=START + timedelta(days=10))
    out = rules.disagreement_raised(s, fact, later(10))
    longer = clock(out.state, "tribunal-appeal").last_due
    assert longer is not None and longer > due
    changed = of(out, ClockChanged)[0]
    assert (changed.reason, changed.previous_due) == ("disagreement-resolution", due)  # type: ignore[attr-defined]
    late = j.DisagreementRaisedFact(event_id="d-2", raised_on=due + timedelta(days=1))
    assert rules.disagreement_raised(s, late, at(due + timedelta(days=1))).events == ()


def test_appeal_lodged_meets_the_window() -> None:
    lodged = START + timedelta(days=12)
    out = rules.appeal_lodged(
        no_aln_by_la(), j.AppealLodgedFact(event_id="a-1", lodged_on=lodged), later(12)
    )
    assert clock(out.state, "tribunal-appeal").met_on == lodged
    assert out.state.appeal_lodged


def test_appeal_decided_closes_a_no_aln_case_unless_the_tribunal_found_aln() -> None:
    s = no_aln_by_la()
    upheld = j.AppealDecidedFact(event_id="a-2", decided_on=START, outcome="no-aln")
    # a journey from before patch `tribunal-review-window` closes on the decision itself
    out = rules.appeal_decided(s, upheld, NOW, review_window=False)
    assert out.state.state == CaseState.CLOSED and out.state.closed
    found = j.AppealDecidedFact(event_id="a-3", decided_on=START, outcome="aln")
    # a journey from before the patch only notes the order
    assert rules.appeal_decided(s, found, NOW, orders_idp=False).state.state == CaseState.NO_ALN


def test_an_order_to_prepare_an_idp_reopens_the_idp_work() -> None:
    """Act ss.70, 74: the LA prepares the plan the Tribunal ordered; issuing it starts the
    review cycle and, being the LA's plan, a fresh appeal window."""
    found = j.AppealDecidedFact(event_id="a-3", decided_on=START, outcome="aln")
    out = rules.appeal_decided(no_aln_by_la(), found, NOW)
    assert out.state.state == CaseState.IDP_IN_PREPARATION
    assert out.state.maintainer == DecidingBody.LOCAL_AUTHORITY
    # the decision opens the parties' review window (ETW Regs reg 53), then the IDP work
    assert names(out) == ["ClockStarted", "StateChanged"]
    assert rules.appeal_decided(out.state, found, NOW).events == ()  # a redelivery
    on = START + timedelta(days=40)
    plan = j.IdpIssuedFact(event_id="i-9", idp_id="p", on=on)
    active = rules.idp_issued(out.state, plan, later(40)).state
    assert active.state == CaseState.IDP_ACTIVE
    assert clock(active, "idp-review").start == on
    kept = rules.idp_ceased(
        issued(DecidingBody.LOCAL_AUTHORITY),
        j.IdpCeasedFact(event_id="c-1", idp_id="p", on=START, reason="left"),
        later(30),
    ).state
    assert rules.appeal_decided(kept, found, later(60)).state.state == CaseState.IDP_ACTIVE


def test_an_accepted_advocate_is_alerted_with_ten_days_of_the_appeal_window_left() -> None:
    s = no_aln_by_la()
    due = clock(s, "tribunal-appeal").last_due
    assert due is not None
    alert_at = at(due - timedelta(days=10), 9)
    assert rules.next_alarm(s, NOW) != alert_at  # no advocate yet: the window's own alarms
    snap = j.AdvocacyHandoffAcceptedFact(
        event_id="h-1", provider="advocacy:snap-cymru", accepted_on=START
    )
    s = rules.advocacy_handoff_accepted(s, snap, NOW).state
    fourteen = rules.fire_alarms(s, at(due - timedelta(days=14), 9))  # the officer's warning
    assert of(fourteen, DeadlineAtRisk)[0].alert_role == "la-officer"  # type: ignore[attr-defined]
    s = fourteen.state
    assert rules.next_alarm(s, NOW) == alert_at  # then the advocate's, before the 7-day one
    assert rules.fire_alarms(s, alert_at - timedelta(minutes=1)).events == ()
    out = rules.fire_alarms(s, alert_at)
    [alert] = of(out, DeadlineAtRisk)
    assert (alert.rule, alert.due) == ("tribunal-appeal", due)  # type: ignore[attr-defined]
    assert (alert.alert_role, alert.alert_scope) == ("advocate", "advocacy:snap-cymru")  # type: ignore[attr-defined]
    assert rules.next_alarm(out.state, alert_at) != alert_at  # said once
    assert of(rules.fire_alarms(out.state, alert_at + timedelta(hours=1)), DeadlineAtRisk) == []
    # an appeal lodged first: the family decided, nobody is alerted
    lodged = j.AppealLodgedFact(event_id="a-1", lodged_on=START + timedelta(days=5))
    decided = rules.appeal_lodged(s, lodged, later(5)).state
    assert of(rules.fire_alarms(decided, alert_at), DeadlineAtRisk) == []


def test_calendar_changed_asks_for_fresh_snapshots_once_per_event() -> None:
    fact = j.CalendarChangedFact(event_id="cal-1", authority="W06000015", calendar_version="v2")
    out = rules.calendar_changed(begun(), fact, NOW)
    assert out.reload_calendars
    assert not rules.calendar_changed(out.state, fact, NOW).reload_calendars
    # the same snapshots again: no due date moves, nothing is announced
    assert rules.recalendar(out.state, setup(), NOW).events == ()


def test_health_outcome_meets_or_lifts_the_shadow_clock() -> None:
    cmd = j.RequestHealthInput(actor="u-1", request_id="r-1", sent_on=START)
    s = ok(rules.request_health_input(begun(), cmd, NOW)).state
    answered = j.HealthInputOutcome(request_id="r-1", outcome="no-service", on=START)
    met = rules.health_input_outcome(s, answered, NOW)
    assert clock(met.state, "health-response:r-1").met_on == START
    assert clock(met.state, "school-decision").met_on is None  # never the decision clock
    impractical = answered.model_copy(update={"outcome": "impractical"})
    lifted = clock(rules.health_input_outcome(s, impractical, NOW).state, "health-response:r-1")
    assert [(e.action, e.reason) for e in lifted.exceptions] == [("lift", "nhs-impractical")]


def test_an_alarm_past_due_raises_the_breach_to_the_ladder() -> None:
    started = rules.start(journey(body=DecidingBody.LOCAL_AUTHORITY), NOW, "case-c-1").state
    s = rules.begin(started, setup(), NOW, token_roles=True).state
    due = clock(s, "la-decision").last_due
    assert due is not None
    assert rules.next_alarm(s, NOW) is not None
    out = rules.fire_alarms(s, at(due + timedelta(days=1), 1))
    roles = [(e.alert_role, e.alert_scope) for e in of(out, DeadlineBreached)]  # type: ignore[attr-defined]
    assert roles == [("la-manager", "la:W06000015"), ("head-of-service", "la:W06000015")]
    # a journey from before the patch keeps the name it always published
    old = s.model_copy(update={"token_roles": False})
    out = rules.fire_alarms(old, at(due + timedelta(days=1), 1))
    roles = [e.alert_role for e in of(out, DeadlineBreached)]  # type: ignore[attr-defined]
    assert roles == ["la-manager", "la-head-of-service"]


def test_a_ladder_recorded_with_the_old_manager_key_still_resolves() -> None:
    target = alert_target(
        "manager", la="W06000015", board="W11000029", school_ref=None, school_body=False
    )
    assert target == ("la-manager", "la:W06000015")
    with pytest.raises(ValueError, match="unknown ladder role"):
        alert_target("mayor", la="W06000015", board="W11000029", school_ref=None, school_body=False)


def test_the_appeal_window_running_out_closes_a_no_aln_case() -> None:
    s = no_aln_by_la()
    due = clock(s, "tribunal-appeal").last_due
    assert due is not None
    out = rules.fire_alarms(s, at(due + timedelta(days=1), 1))
    assert out.state.state == CaseState.CLOSED
    assert names(out)[-1] == "CaseClosed"


def test_the_next_run_carries_the_state_and_an_old_carry_still_loads() -> None:
    s = issued()
    nxt = rules.for_next_run(s, seq=7)
    assert nxt.seq == 7
    assert [c.rule for c in nxt.clocks] == ["idp-review"]  # met clocks stay behind
    assert carried(s.journey, nxt.model_dump(mode="json")) == nxt
    old = JourneyCarry(seq=3, state=CaseState.IDP_ACTIVE, maintainer="school", clocks=nxt.clocks)
    from_old = carried(journey(), old.model_dump(mode="json"))
    assert (from_old.seq, from_old.state, from_old.maintainer) == (3, "idp-active", "school")
    assert not from_old.ready  # no snapshots carried: the run loads them first
    assert rules.adopt_setup(from_old, setup()).clocks[0].last_due == nxt.clocks[0].last_due


def test_facts_before_the_calendars_load_are_only_seen_by_the_rules() -> None:
    s = rules.start(journey(state=CaseState.IDP_IN_PREPARATION), NOW, "case-c-1").state
    out = rules.idp_issued(s, j.IdpIssuedFact(event_id="i-1", idp_id="p", on=START), NOW)
    assert out.state.state == CaseState.IDP_IN_PREPARATION  # the workflow holds such facts
    assert out.state.seen == ("i-1",)
