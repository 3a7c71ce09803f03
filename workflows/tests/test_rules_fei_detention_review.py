"""The journey's rules for issue 15's FEI, detention and Tribunal review rows, pure (no
Temporal): an FEI's own clock and appeal window (Act ss.11, 70), a detained learner's release
(ss.39-56, Regs reg 18) and the Tribunal review window (ETW Regs reg 53)."""

from datetime import date, timedelta

import pytest
from rules_kit import AUTHORITY, NOW, START, at, clock, later, names, ok, refused, setup

from llwybr_contracts import journey as j
from llwybr_contracts.events import ClockStarted, DeadlineAtRisk
from llwybr_contracts.journey import JourneyInput
from llwybr_contracts.states import CaseState, DecidingBody
from llwybr_contracts.vocabulary import RuleId
from llwybr_workflows.journey import rules
from llwybr_workflows.journey.state import JourneyState

pytestmark = pytest.mark.unit

UKPRN = "10099011"


def begun_with(**fields: object) -> JourneyState:
    base: dict[str, object] = {
        "case_id": "c-1",
        "child_ref": "ch-1",
        "authority": AUTHORITY,
        "received_on": START,
        "state": CaseState.DECISION_PENDING,
        "clock_start": START,
    }
    journey = JourneyInput.model_validate({**base, **fields})
    started = rules.start(journey, NOW, "case-c-1").state
    return rules.begin(started, setup(), NOW).state


def fei() -> JourneyState:
    return begun_with(
        deciding_body=DecidingBody.FEI, institution=UKPRN, first_rule=RuleId.FEI_DECISION
    )


def detained() -> JourneyState:
    return begun_with(
        deciding_body=DecidingBody.LOCAL_AUTHORITY,
        deciding_authority=AUTHORITY,
        first_rule=RuleId.LA_DECISION,
        detained=True,
    )


# -- FEI -----------------------------------------------------------------------------------


def test_an_fei_case_runs_the_assumed_fei_decision_clock() -> None:
    s = fei()
    view = rules.status(s, NOW, 0).clocks[0]
    assert (view.rule, view.start, view.assumed) == ("fei-decision", START, True)
    # 35 term-time days on the calendar, as a school's 35 school days on the same calendar
    school = begun_with(deciding_body=DecidingBody.SCHOOL, first_rule=RuleId.SCHOOL_DECISION)
    assert view.due == rules.status(school, NOW, 0).clocks[0].due


def test_an_fei_clock_alerts_the_fei_alnco() -> None:
    s = fei()
    first_warning = rules.status(s, NOW, 0).clocks[0].warnings[0]
    out = rules.fire_alarms(s, at(first_warning))
    risks = [e for e in out.events if isinstance(e, DeadlineAtRisk)]
    assert risks, "the first warning should have fired"
    assert {(e.alert_role, e.alert_scope) for e in risks} == {("fei-alnco", f"fei:{UKPRN}")}


def test_an_fei_no_aln_decision_is_appealable() -> None:
    cmd = j.RecordDecision(actor="u-1", outcome="no-aln", decided_on=START, notice_given_on=START)
    out = ok(rules.record_decision(fei(), cmd, NOW))
    assert clock(out.state, "fei-decision").met_on == START
    assert "AppealWindowOpened" in names(out)  # Act s.70
    assert clock(out.state, "tribunal-appeal").start == START


def test_an_fei_plan_issued_opens_the_appeal_window() -> None:
    decided = j.RecordDecision(actor="u-1", outcome="aln", decided_on=START)
    prepared = ok(rules.record_decision(fei(), decided, NOW)).state
    assert prepared.maintainer == DecidingBody.FEI
    on = START + timedelta(days=20)
    out = rules.idp_issued(prepared, j.IdpIssuedFact(event_id="i-1", idp_id="p", on=on), later(20))
    assert clock(out.state, "fei-decision").met_on == on
    assert "AppealWindowOpened" in names(out)


# -- detained persons ----------------------------------------------------------------------


def test_a_release_starts_the_home_authoritys_detention_release_clock() -> None:
    released_on = START + timedelta(days=10)
    out = ok(
        rules.record_release(
            detained(), j.RecordRelease(actor="u-1", released_on=released_on), later(10)
        )
    )
    record = clock(out.state, "detention-release")
    # Regs reg 18: 12 weeks, start + 84 days rolled over: Thu 18 Feb 2027, a working day
    assert (record.start, record.last_due) == (released_on, date(2027, 2, 18))
    started = [e for e in out.events if isinstance(e, ClockStarted)]
    assert [e.rule for e in started] == ["detention-release"]
    assert not out.state.detained and out.state.released_on == released_on
    again = rules.record_release(
        out.state, j.RecordRelease(actor="u-1", released_on=released_on), later(11)
    )
    assert refused(again)["code"] == "not-detained"


def test_a_release_of_a_learner_not_detained_is_refused() -> None:
    s = begun_with(deciding_body=DecidingBody.LOCAL_AUTHORITY, first_rule=RuleId.LA_DECISION)
    out = rules.record_release(s, j.RecordRelease(actor="u-1", released_on=START), NOW)
    assert refused(out)["code"] == "not-detained"


def test_a_release_dated_before_the_referral_is_refused_by_field() -> None:
    cmd = j.RecordRelease(actor="u-1", released_on=START - timedelta(days=1))
    found = rules.within_case(detained(), cmd, NOW)
    assert found is not None and found.params["field"] == "released_on"


def test_the_authoritys_decision_after_release_meets_the_clock() -> None:
    cmd = j.RecordRelease(actor="u-1", released_on=START + timedelta(days=3))
    released = ok(rules.record_release(detained(), cmd, later(3))).state
    decided_on = START + timedelta(days=30)
    decision = j.RecordDecision(
        actor="u-1", outcome="no-aln", decided_on=decided_on, notice_given_on=decided_on
    )
    out = ok(rules.record_decision(released, decision, later(30)))
    assert clock(out.state, "detention-release").met_on == decided_on
    assert out.state.state == CaseState.NO_ALN
    assert "AppealWindowOpened" in names(out)


def test_a_plan_kept_after_release_meets_the_clock_and_stays_active() -> None:
    s = detained()
    s = ok(
        rules.record_decision(s, j.RecordDecision(actor="u", outcome="aln", decided_on=START), NOW)
    ).state
    s = rules.idp_issued(s, j.IdpIssuedFact(event_id="i-1", idp_id="p", on=START), NOW).state
    assert s.state == CaseState.IDP_ACTIVE
    s = ok(
        rules.record_release(
            s, j.RecordRelease(actor="u", released_on=START + timedelta(days=5)), later(5)
        )
    ).state
    kept = j.RecordDecision(actor="u", outcome="aln", decided_on=START + timedelta(days=9))
    out = ok(rules.record_decision(s, kept, later(9)))
    assert out.state.state == CaseState.IDP_ACTIVE
    assert clock(out.state, "detention-release").met_on == START + timedelta(days=9)


# -- Tribunal review -----------------------------------------------------------------------


def no_aln_by_la() -> JourneyState:
    s = begun_with(
        deciding_body=DecidingBody.LOCAL_AUTHORITY,
        deciding_authority=AUTHORITY,
        first_rule=RuleId.LA_DECISION,
    )
    cmd = j.RecordDecision(actor="u-1", outcome="no-aln", decided_on=START, notice_given_on=START)
    return ok(rules.record_decision(s, cmd, NOW)).state


DECIDED = START + timedelta(days=40)  # Sat 26 Dec 2026


def decided(outcome: str = "dismissed") -> JourneyState:
    lodged = j.AppealLodgedFact(event_id="a-8", lodged_on=START + timedelta(days=7))
    s = rules.appeal_lodged(no_aln_by_la(), lodged, later(7)).state
    fact = j.AppealDecidedFact(event_id="a-9", decided_on=DECIDED, outcome=outcome)
    return rules.appeal_decided(s, fact, later(40)).state


def test_a_tribunal_decision_opens_the_28_day_review_window() -> None:
    s = decided()
    record = clock(s, "tribunal-review-application")
    # ETW Regs reg 53: start + 28 days exactly, no roll-over (23 Jan 2027 is a Saturday)
    assert (record.start, record.last_due) == (DECIDED, date(2027, 1, 23))
    assert s.state == CaseState.NO_ALN and not s.closed  # open while a party may still ask


def test_the_case_closes_when_the_window_passes_with_no_review_asked() -> None:
    s = decided()
    out = rules.fire_alarms(s, at(date(2027, 1, 24), 1))
    assert out.state.closed
    closed = [e for e in out.events if e.event_name() == "CaseClosed"]
    assert [e.reason for e in closed] == ["appeal-decided"]  # type: ignore[attr-defined]


def test_a_review_asked_meets_the_window_and_keeps_the_case_open() -> None:
    asked = DECIDED + timedelta(days=10)
    cmd = j.RequestTribunalReview(actor="u-1", requested_on=asked, requested_by="family")
    out = ok(rules.request_tribunal_review(decided(), cmd, later(50)))
    assert clock(out.state, "tribunal-review-application").met_on == asked
    assert "ClockMet" in names(out)
    after = rules.fire_alarms(out.state, at(date(2027, 2, 1)))
    assert not after.state.closed  # waits for the Tribunal's answer (a new AppealDecided)
    answer = j.AppealDecidedFact(event_id="a-10", decided_on=date(2027, 2, 1), outcome="dismissed")
    again = rules.appeal_decided(after.state, answer, at(date(2027, 2, 1)))
    assert clock(again.state, "tribunal-review-application").start == date(2027, 2, 1)


def test_a_review_with_no_tribunal_decision_is_refused() -> None:
    cmd = j.RequestTribunalReview(actor="u-1", requested_on=START, requested_by="local-authority")
    assert refused(rules.request_tribunal_review(no_aln_by_la(), cmd, NOW))["code"] == (
        "no-tribunal-decision"
    )


def test_a_review_dated_before_the_decision_is_refused_by_field() -> None:
    cmd = j.RequestTribunalReview(
        actor="u-1", requested_on=DECIDED - timedelta(days=1), requested_by="family"
    )
    out = refused(rules.request_tribunal_review(decided(), cmd, later(45)))
    assert out["code"] == "date-before-decision"
    assert out["params"]["field"] == "requested_on"  # type: ignore[index]


def test_an_order_to_prepare_an_idp_still_opens_the_review_window() -> None:
    s = decided("aln")
    assert s.state == CaseState.IDP_IN_PREPARATION
    assert clock(s, "tribunal-review-application").start == DECIDED
    assert not s.close_after_review


# -- FEI take-over (Regs reg 13) -----------------------------------------------------------


def la_plan() -> JourneyState:
    s = begun_with(
        deciding_body=DecidingBody.LOCAL_AUTHORITY,
        deciding_authority=AUTHORITY,
        first_rule=RuleId.LA_DECISION,
    )
    decided = j.RecordDecision(actor="u", outcome="aln", decided_on=START)
    s = ok(rules.record_decision(s, decided, NOW)).state
    return rules.idp_issued(s, j.IdpIssuedFact(event_id="i-1", idp_id="p", on=START), NOW).state


def test_an_fei_asked_to_take_over_the_las_plan_has_20_term_days_to_answer() -> None:
    asked = j.RequestFeiTakeover(actor="u", ukprn=UKPRN, received_on=START)
    out = ok(rules.request_fei_takeover(la_plan(), asked, NOW))
    record = clock(out.state, f"fei-takeover-response:{UKPRN}")
    view = next(
        c for c in rules.status(out.state, NOW, 0).clocks if c.rule == "fei-takeover-response"
    )
    assert (record.start, view.subject) == (START, UKPRN)
    # its warning alerts the FEI asked (its ALNCo), not the LA's officer
    warned = rules.fire_alarms(out.state, at(view.warnings[0]))
    risks = [e for e in warned.events if isinstance(e, DeadlineAtRisk)]
    assert {(e.alert_role, e.alert_scope) for e in risks} == {("fei-alnco", f"fei:{UKPRN}")}
    answered = START + timedelta(days=9)
    answer = j.AnswerFeiTakeover(actor="u", ukprn=UKPRN, answer="agreed", answered_on=answered)
    done = ok(rules.answer_fei_takeover(out.state, answer, later(9)))
    assert clock(done.state, f"fei-takeover-response:{UKPRN}").met_on == answered
    again = rules.answer_fei_takeover(done.state, answer, later(10))
    assert refused(again)["code"] == "clock-not-running"


def test_a_take_over_is_asked_only_of_a_plan_the_la_maintains() -> None:
    asked = j.RequestFeiTakeover(actor="u", ukprn=UKPRN, received_on=START)
    assert refused(rules.request_fei_takeover(fei(), asked, NOW))["code"] == "no-active-idp"
    school = begun_with(deciding_body=DecidingBody.SCHOOL, first_rule=RuleId.SCHOOL_DECISION)
    school = ok(
        rules.record_decision(
            school, j.RecordDecision(actor="u", outcome="aln", decided_on=START), NOW
        )
    ).state
    school = rules.idp_issued(
        school, j.IdpIssuedFact(event_id="i", idp_id="p", on=START), NOW
    ).state
    assert refused(rules.request_fei_takeover(school, asked, NOW))["code"] == "not-la-plan"
