"""The journey's update rules, pure (no Temporal): one test per row of the updates table in
workflows/README.md, with the refusals each row names."""

from datetime import date, timedelta

import pytest
from rules_kit import NOW, START, at, begun, clock, journey, later, names, of, ok, refused, setup

from llwybr_contracts import journey as j
from llwybr_contracts.events import AppealWindowOpened, ClockChanged, ClockMet, ReferredToLa
from llwybr_contracts.states import CaseState, DecidingBody
from llwybr_workflows.journey import rules

pytestmark = pytest.mark.unit


def consent(answer: str = "given", days: int = 3) -> j.RecordConsent:
    return j.RecordConsent(actor="u-1", answer=answer, on=START + timedelta(days=days))  # type: ignore[arg-type]


def decision(outcome: str, days: int = 10, notice: bool = True) -> j.RecordDecision:
    on = START + timedelta(days=days)
    return j.RecordDecision(
        actor="u-1",
        outcome=outcome,  # type: ignore[arg-type]
        decided_on=on,
        notice_given_on=on if notice else None,
    )


def exception(action: str, rule: str = "la-decision", xid: str = "x-1", **more: object):
    fields = {"actor": "u-1", "exception_id": xid, "action": action, "rule": rule}
    fields |= {"reason": "learner-absent", "from": START + timedelta(days=5), **more}
    return j.RecordException.model_validate(fields)


def test_nothing_but_dates_is_checked_before_the_calendars_load() -> None:
    s = rules.start(journey(), NOW, "case-c-1").state
    assert refused(rules.record_decision(s, decision("aln", 0), NOW))["code"] == "journey-starting"
    future = j.RecordConsent(actor="u-1", answer="given", on=START + timedelta(days=1))
    assert refused(rules.record_consent(s, future, NOW)) == {
        "code": "date-in-future",
        "params": {"field": "on", "day": "2026-11-17", "today": "2026-11-16"},
    }


def test_consent_given_starts_the_routed_clock_on_consent() -> None:
    s = begun(state=CaseState.CONSENT_PENDING, body=DecidingBody.LOCAL_AUTHORITY)
    assert s.clocks == ()
    out = ok(rules.record_consent(s, consent(), later(3)))
    assert out.state.state == CaseState.DECISION_PENDING
    assert clock(out.state, "la-decision").start == START + timedelta(days=3)
    assert names(out) == ["ClockStarted", "StateChanged"]
    assert refused(rules.record_consent(out.state, consent(), later(3))) == {
        "code": "consent-not-pending",
        "params": {"state": "decision-pending"},
    }


def test_consent_refused_closes_the_case() -> None:
    s = begun(state=CaseState.CONSENT_PENDING, body=DecidingBody.LOCAL_AUTHORITY)
    out = ok(rules.record_consent(s, consent("refused"), later(3)))
    assert out.state.closed and out.state.state == CaseState.CLOSED
    assert names(out) == ["StateChanged", "CaseClosed"]
    assert refused(rules.record_consent(out.state, consent(), later(3)))["code"] == "case-closed"


def test_refer_to_la_meets_the_school_clock_and_starts_the_la_clock() -> None:
    s = begun()
    referred = START + timedelta(days=7)
    cmd = j.ReferToLa(actor="u-1", referred_on=referred, authority="W06000015")
    out = ok(rules.refer_to_la(s, cmd, later(7)))
    assert clock(out.state, "school-decision").met_on == referred
    assert clock(out.state, "la-decision").start == referred
    assert out.state.deciding_body == DecidingBody.LOCAL_AUTHORITY
    assert [e.referred_on for e in of(out, ReferredToLa)] == [referred]  # type: ignore[attr-defined]
    assert refused(rules.refer_to_la(out.state, cmd, later(7))) == {
        "code": "no-school-clock",
        "params": {"rule": "school-decision"},
    }
    early = j.ReferToLa(actor="u-1", referred_on=START - timedelta(days=1), authority="W06000015")
    assert refused(rules.refer_to_la(s, early, later(7)))["code"] == "referred-before-clock"


def test_no_aln_by_the_la_meets_the_clock_on_the_notice_and_opens_the_appeal_window() -> None:
    s = begun(body=DecidingBody.LOCAL_AUTHORITY)
    out = ok(rules.record_decision(s, decision("no-aln"), later(10)))
    notice = START + timedelta(days=10)
    assert out.state.state == CaseState.NO_ALN
    assert clock(out.state, "la-decision").met_on == notice
    assert clock(out.state, "tribunal-appeal").start == notice
    assert len(of(out, AppealWindowOpened)) == 1
    again = rules.record_decision(out.state, decision("aln"), later(10))
    assert refused(again)["code"] == "decision-already-recorded"
    no_notice = rules.record_decision(s, decision("no-aln", notice=False), later(10))
    assert refused(no_notice)["code"] == "notice-date-required"


def test_a_schools_no_aln_decision_opens_no_appeal_window() -> None:
    out = ok(rules.record_decision(begun(), decision("no-aln"), later(10)))
    assert out.state.state == CaseState.NO_ALN
    assert [c.rule for c in out.state.clocks] == ["school-decision"]


def test_aln_leaves_the_decision_clock_running_until_the_idp_is_issued() -> None:
    out = ok(rules.record_decision(begun(), decision("aln"), later(10)))
    assert out.state.state == CaseState.IDP_IN_PREPARATION
    assert out.state.maintainer == DecidingBody.SCHOOL
    assert clock(out.state, "school-decision").met_on is None
    assert of(out, ClockMet) == []
    s = begun(state=CaseState.CONSENT_PENDING)
    assert refused(rules.record_decision(s, decision("aln"), later(10)))["code"] == (
        "consent-not-given"
    )


def test_health_request_runs_a_shadow_clock_and_names_the_child_input() -> None:
    s = begun(body=DecidingBody.LOCAL_AUTHORITY)
    cmd = j.RequestHealthInput(actor="u-1", request_id="r-1", sent_on=START)
    out = ok(rules.request_health_input(s, cmd, NOW))
    shadow = clock(out.state, "health-response:r-1")
    assert (shadow.subject, shadow.alarms) == ("r-1", False)
    assert out.events == ()  # the child announces its own clock
    child = rules.health_input_start(out.state, cmd)
    assert (child.la, child.sent_on, child.setup) == ("W06000015", START, setup())
    assert refused(rules.request_health_input(out.state, cmd, NOW)) == {
        "code": "health-request-exists",
        "params": {"request_id": "r-1"},
    }
    pending = begun(state=CaseState.CONSENT_PENDING)
    assert refused(rules.request_health_input(pending, cmd, NOW))["code"] == "consent-not-given"


def test_withdrawing_a_health_request_drops_its_shadow_clock() -> None:
    s = ok(
        rules.request_health_input(
            begun(), j.RequestHealthInput(actor="u-1", request_id="r-1", sent_on=START), NOW
        )
    ).state
    cmd = j.WithdrawHealthInput(actor="u-1", request_id="r-1", on=START)
    out = ok(rules.withdraw_health_input(s, cmd, NOW))
    assert [c.key for c in out.state.clocks] == ["school-decision"]
    assert out.state.timeline[-1].kind == "HealthInputWithdrawn"
    assert refused(rules.withdraw_health_input(out.state, cmd, NOW)) == {
        "code": "health-request-answered",
        "params": {"request_id": "r-1", "outcome": "withdrawn"},
    }
    unknown = cmd.model_copy(update={"request_id": "r-9"})
    assert refused(rules.withdraw_health_input(s, unknown, NOW))["code"] == (
        "health-request-unknown"
    )


def test_a_pause_moves_the_due_date_and_the_same_exception_again_changes_nothing() -> None:
    s = begun(body=DecidingBody.LOCAL_AUTHORITY)
    due = clock(s, "la-decision").last_due
    out = ok(rules.record_exception(s, exception("pause"), later(5)))
    changed = of(out, ClockChanged)[0]
    assert (changed.change, changed.previous_due, changed.due) == ("paused", due, None)  # type: ignore[attr-defined]
    assert out.wake
    again = ok(rules.record_exception(out.state, exception("pause"), later(5)))
    assert again.events == () and again.state == out.state
    assert "already recorded" in again.detail


def test_exceptions_that_cannot_apply_are_refused_with_codes() -> None:
    s = begun(body=DecidingBody.LOCAL_AUTHORITY)
    health = rules.record_exception(s, exception("pause", rule="health-response"), NOW)
    assert refused(health) == {
        "code": "clock-not-adjustable",
        "params": {"rule": "health-response"},
    }
    other = rules.record_exception(s, exception("pause", rule="school-decision"), NOW)
    assert refused(other) == {"code": "clock-not-running", "params": {"rule": "school-decision"}}
    backwards = exception("pause", until=START + timedelta(days=1))
    assert refused(rules.record_exception(s, backwards, NOW))["code"] == "pause-ends-before-start"
    assert refused(rules.record_exception(s, exception("resume"), NOW)) == {
        "code": "exception-not-allowed",
        "params": {"rule": "la-decision", "action": "resume", "reason": "ExceptionRecordError"},
    }


def test_a_review_is_requested_only_of_an_active_idp() -> None:
    cmd = j.RequestReview(actor="u-1", requested_on=START, requested_by="family")
    assert refused(rules.request_review(begun(), cmd, NOW)) == {
        "code": "no-active-idp",
        "params": {"state": "decision-pending"},
    }
    active = begun(state=CaseState.IDP_ACTIVE)
    out = ok(rules.request_review(active, cmd, NOW))
    assert (out.state.timeline[-1].kind, out.state.timeline[-1].detail) == (
        "ReviewRequested",
        "family",
    )


def reconsider(kind: str, rid: str = "rc-1") -> j.RequestReconsideration:
    return j.RequestReconsideration(actor="u-1", request_id=rid, kind=kind, received_on=START)  # type: ignore[arg-type]


def test_the_la_reconsiders_a_schools_decision_once_at_a_time() -> None:
    decided = ok(rules.record_decision(begun(), decision("no-aln", days=0), NOW)).state
    out = ok(rules.request_reconsideration(decided, reconsider("decision"), NOW))
    assert clock(out.state, "la-reconsider-decision").start == START
    again = rules.request_reconsideration(out.state, reconsider("decision"), NOW)
    assert refused(again)["code"] == "reconsideration-running"
    # the LA's answer is its own decision: appealable
    answered = ok(rules.record_decision(out.state, decision("no-aln", days=0), NOW))
    assert clock(answered.state, "la-reconsider-decision").met_on == START
    assert answered.state.deciding_body == DecidingBody.LOCAL_AUTHORITY
    assert len(of(answered, AppealWindowOpened)) == 1
    la = ok(
        rules.record_decision(begun(body=DecidingBody.LOCAL_AUTHORITY), decision("aln", 0), NOW)
    )
    only = rules.request_reconsideration(la.state, reconsider("decision"), NOW)
    assert refused(only)["code"] == "only-school-decision"


def test_idp_and_cease_reconsiderations() -> None:
    active = begun(state=CaseState.IDP_ACTIVE)
    assert refused(rules.request_reconsideration(active, reconsider("idp"), NOW))["code"] == (
        "only-school-idp"  # nobody maintains this plan yet
    )
    school = active.model_copy(update={"maintainer": DecidingBody.SCHOOL})
    out = ok(rules.request_reconsideration(school, reconsider("idp"), NOW))
    assert clock(out.state, "la-reconsider-idp").start == START
    assert refused(rules.request_reconsideration(school, reconsider("cease"), NOW)) == {
        "code": "clock-not-running",
        "params": {"rule": "cease-reconsider-request"},
    }
    ceasing = ok(
        rules.idp_ceased(
            school, j.IdpCeasedFact(event_id="e-1", idp_id="p", on=START, reason="left"), NOW
        )
    ).state
    asked = ok(rules.request_reconsideration(ceasing, reconsider("cease"), NOW))
    assert clock(asked.state, "cease-reconsider-request").met_on == START
    assert clock(asked.state, "la-reconsider-idp").start == START


def test_a_step_dated_before_the_referral_is_refused_naming_the_field_and_the_bound() -> None:
    """docs/rules.md, "Dates that cannot be": a no-ALN decision dated 1990 on a 2026 referral
    would otherwise meet the clock."""
    s = begun()
    old = j.RecordDecision(
        actor="u-1", outcome="no-aln", decided_on=date(1990, 1, 1), notice_given_on=START
    )
    assert refused(rules.within_case(s, old, NOW)) == {
        "code": "date-before-referral",
        "params": {"field": "decided_on", "day": "1990-01-01", "bound": "2026-11-16"},
    }
    early_notice = j.RecordDecision(
        actor="u-1", outcome="no-aln", decided_on=START + timedelta(days=2), notice_given_on=START
    )
    assert refused(rules.within_case(s, early_notice, NOW)) == {
        "code": "date-before-decision",
        "params": {"field": "notice_given_on", "day": "2026-11-16", "bound": "2026-11-18"},
    }
    pause = exception("pause", **{"from": START - timedelta(days=1)})
    assert refused(rules.within_case(s, pause, NOW))["params"]["field"] == "from"
    planned = exception("pause", **{"from": START + timedelta(days=30)})
    assert rules.within_case(s, planned, NOW) is None, "a pause may be planned ahead"
    assert rules.within_case(s, decision("no-aln", 0), NOW) is None, "the referral day is fine"


def test_a_young_persons_routed_clock_starts_on_consent_la_not_necessary() -> None:
    """Routing chose `la-not-necessary` (Regs reg 10) for a young person at no school: the
    journey starts that clock, not `la-decision`, when consent is recorded."""
    pending = journey(state=CaseState.CONSENT_PENDING, body=DecidingBody.LOCAL_AUTHORITY)
    pending = pending.model_copy(update={"first_rule": "la-not-necessary"})
    s = rules.begin(rules.start(pending, NOW, "case-c-1").state, setup(), NOW).state
    assert s.clocks == ()
    out = ok(rules.record_consent(s, consent(), later(3)))
    assert [c.rule for c in out.state.clocks] == ["la-not-necessary"]


def test_the_case_closes_when_the_duties_end_at_25() -> None:
    """docs/rules.md s.6, Age: the end of the academic year in which the learner turns 25."""
    ends = START + timedelta(days=20)
    aged = journey().model_copy(update={"duties_end": ends})
    s = rules.begin(rules.start(aged, NOW, "case-c-1").state, setup(), NOW).state
    assert rules.next_alarm(s, NOW) <= at(ends + timedelta(days=1), 0)
    assert not ok(rules.fire_alarms(s, at(ends, 23))).state.closed
    out = ok(rules.fire_alarms(s, at(ends + timedelta(days=1), 0)))
    assert out.state.closed and out.state.state == CaseState.CLOSED
    (closed,) = [e for e in out.events if e.event_name() == "CaseClosed"]
    assert (closed.reason, closed.closed_on) == ("duties-ended-age-25", ends)  # type: ignore[attr-defined]
