"""Random sequences of commands, facts and the passing of time through the journey's rules
(hypothesis state machine, no Temporal), checking what must hold after every step; and a walk
that reaches every case state."""

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from rules_kit import NOW, START, begun, later, ok

from llwybr_clock.wales import wales_date
from llwybr_contracts import journey as j
from llwybr_contracts.states import CaseState, DecidingBody
from llwybr_contracts.vocabulary import Refusal, RefusalCode
from llwybr_workflows.journey import rules
from llwybr_workflows.journey.clockbook import ClockBook
from llwybr_workflows.journey.state import JourneyState

pytestmark = pytest.mark.unit

RULES = ("school-decision", "la-decision", "tribunal-appeal", "idp-review", "health-response")
REQUESTS = ("r-1", "r-2")


class JourneyMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.s: JourneyState | None = None
        self.now: datetime = NOW
        self.ids = 0
        self.met: dict[tuple[str, date], tuple[date, date | None]] = {}

    # -- driving the rules ---------------------------------------------------------------------

    @property
    def state(self) -> JourneyState:
        assert self.s is not None
        return self.s

    def today(self, back: int = 0) -> date:
        return max(START, wales_date(self.now) - timedelta(days=back))

    def event_id(self, again: bool) -> str:
        if not again or self.ids == 0:
            self.ids += 1
        return f"e-{self.ids}"

    def command(self, fn: Any, cmd: Any) -> None:
        before = self.state
        out = fn(before, cmd, self.now)
        if isinstance(out, Refusal):
            assert isinstance(out.code, RefusalCode)
            assert all(isinstance(v, str) for v in out.params.values())
            assert out.code != RefusalCode.JOURNEY_STARTING  # the calendars are loaded
            return
        assert not before.closed, "a closed case accepted a command"
        self.s = out.state

    def fact(self, fn: Any, fact: Any) -> None:
        before = self.state
        out = fn(before, fact, self.now)
        if before.closed:
            assert out.events == ()
            assert out.state.model_copy(update={"seen": before.seen}) == before
        self.s = out.state

    @initialize(
        state=st.sampled_from([CaseState.CONSENT_PENDING, CaseState.DECISION_PENDING]),
        body=st.sampled_from(list(DecidingBody)),
    )
    def begin(self, state: CaseState, body: DecidingBody) -> None:
        self.s = begun(state=state, body=body)

    @rule(days=st.integers(0, 60), hour=st.integers(0, 23))
    def time_passes(self, days: int, hour: int) -> None:
        self.now = self.now + timedelta(days=days, hours=hour)
        self.s = rules.fire_alarms(self.state, self.now).state

    @rule(answer=st.sampled_from(["given", "refused"]), back=st.integers(0, 3))
    def consent(self, answer: str, back: int) -> None:
        self.command(
            rules.record_consent, j.RecordConsent(actor="u", answer=answer, on=self.today(back))
        )

    @rule(back=st.integers(0, 3))
    def refer(self, back: int) -> None:
        cmd = j.ReferToLa(actor="u", referred_on=self.today(back), authority="W06000015")
        self.command(rules.refer_to_la, cmd)

    @rule(outcome=st.sampled_from(["aln", "no-aln"]), notice=st.booleans())
    def decide(self, outcome: str, notice: bool) -> None:
        on = self.today()
        cmd = j.RecordDecision(
            actor="u",
            outcome=outcome,
            decided_on=on,
            notice_given_on=on if notice else None,
        )
        self.command(rules.record_decision, cmd)

    @rule(rid=st.sampled_from(REQUESTS))
    def health_request(self, rid: str) -> None:
        cmd = j.RequestHealthInput(actor="u", request_id=rid, sent_on=self.today())
        self.command(rules.request_health_input, cmd)

    @rule(rid=st.sampled_from(REQUESTS))
    def health_withdrawn(self, rid: str) -> None:
        cmd = j.WithdrawHealthInput(actor="u", request_id=rid, on=self.today())
        self.command(rules.withdraw_health_input, cmd)

    @rule(
        rid=st.sampled_from(REQUESTS),
        outcome=st.sampled_from(["service-identified", "no-service", "impractical"]),
    )
    def health_answered(self, rid: str, outcome: str) -> None:
        answer = j.HealthInputOutcome(request_id=rid, outcome=outcome, on=self.today())  # type: ignore[arg-type]
        self.fact(rules.health_input_outcome, answer)

    @rule(
        action=st.sampled_from(["pause", "resume", "lift"]),
        rule_id=st.sampled_from(RULES),
        xid=st.sampled_from(["x-1", "x-2", "x-3"]),
        back=st.integers(0, 5),
    )
    def exception(self, action: str, rule_id: str, xid: str, back: int) -> None:
        cmd = j.RecordException.model_validate(
            {
                "actor": "u",
                "exception_id": xid,
                "action": action,
                "rule": rule_id,
                "reason": "learner-absent",
                "from": self.today(back),
            }
        )
        self.command(rules.record_exception, cmd)

    @rule()
    def review_requested(self) -> None:
        cmd = j.RequestReview(actor="u", requested_on=self.today(), requested_by="family")
        self.command(rules.request_review, cmd)

    @rule(kind=st.sampled_from(["decision", "idp", "cease"]))
    def reconsideration(self, kind: str) -> None:
        cmd = j.RequestReconsideration(
            actor="u", request_id="rc", kind=kind, received_on=self.today()
        )
        self.command(rules.request_reconsideration, cmd)

    @rule(again=st.booleans())
    def idp_issued(self, again: bool) -> None:
        fact = j.IdpIssuedFact(event_id=self.event_id(again), idp_id="p", on=self.today())
        self.fact(rules.idp_issued, fact)

    @rule(again=st.booleans())
    def idp_reviewed(self, again: bool) -> None:
        fact = j.IdpReviewedFact(event_id=self.event_id(again), idp_id="p", on=self.today())
        out = rules.idp_reviewed(self.state, fact, self.now)
        self.fact(rules.idp_reviewed, fact)
        if out.continue_as_new:  # the next run starts from what the state carries
            self.s = rules.for_next_run(self.state, seq=0)

    @rule(again=st.booleans(), to=st.sampled_from(["la:W06000015", "school:sch-1"]))
    def idp_transferred(self, again: bool, to: str) -> None:
        fact = j.IdpTransferredFact(
            event_id=self.event_id(again), idp_id="p", on=self.today(), to_body=to
        )
        self.fact(rules.idp_transferred, fact)

    @rule(again=st.booleans())
    def idp_ceased(self, again: bool) -> None:
        fact = j.IdpCeasedFact(
            event_id=self.event_id(again), idp_id="p", on=self.today(), reason="left"
        )
        self.fact(rules.idp_ceased, fact)

    @rule(again=st.booleans(), back=st.integers(0, 3))
    def disagreement(self, again: bool, back: int) -> None:
        fact = j.DisagreementRaisedFact(event_id=self.event_id(again), raised_on=self.today(back))
        self.fact(rules.disagreement_raised, fact)

    @rule(again=st.booleans())
    def appeal_lodged(self, again: bool) -> None:
        fact = j.AppealLodgedFact(event_id=self.event_id(again), lodged_on=self.today())
        self.fact(rules.appeal_lodged, fact)

    @rule(again=st.booleans(), outcome=st.sampled_from(["aln", "no-aln", "withdrawn"]))
    def appeal_decided(self, again: bool, outcome: str) -> None:
        fact = j.AppealDecidedFact(
            event_id=self.event_id(again), decided_on=self.today(), outcome=outcome
        )
        self.fact(rules.appeal_decided, fact)

    # -- what always holds ---------------------------------------------------------------------

    @invariant()
    def one_running_clock_per_rule_and_subject(self) -> None:
        if self.s is None or self.s.setup is None:
            return
        book = ClockBook(self.s.setup, "c", lambda role, record: ("", ""))
        running = [(c.rule, c.subject) for c in self.s.clocks if book.is_open(c)]
        assert len(running) == len(set(running)), running

    @invariant()
    def a_met_clock_never_moves(self) -> None:
        if self.s is None:
            return
        for c in self.s.clocks:
            if c.met_on is None:
                continue
            found = self.met.setdefault((c.key, c.start), (c.met_on, c.last_due))
            assert found == (c.met_on, c.last_due), (c.key, found, c)


TestJourneyMachine = JourneyMachine.TestCase
TestJourneyMachine.settings = settings(
    max_examples=25,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def test_every_case_state_is_reachable() -> None:
    """A young person's case from consent to closure, and a no-ALN decision: every state."""
    reached = set()
    s = begun(state=CaseState.CONSENT_PENDING, body=DecidingBody.LOCAL_AUTHORITY)
    reached.add(s.state)
    s = ok(rules.record_consent(s, j.RecordConsent(actor="u", answer="given", on=START), NOW)).state
    reached.add(s.state)
    no_aln = j.RecordDecision(actor="u", outcome="no-aln", decided_on=START, notice_given_on=START)
    reached.add(ok(rules.record_decision(s, no_aln, NOW)).state.state)
    aln = j.RecordDecision(actor="u", outcome="aln", decided_on=START)
    s = ok(rules.record_decision(s, aln, NOW)).state
    reached.add(s.state)
    s = rules.idp_issued(s, j.IdpIssuedFact(event_id="i", idp_id="p", on=START), NOW).state
    reached.add(s.state)
    s = rules.idp_ceased(
        s, j.IdpCeasedFact(event_id="c", idp_id="p", on=START, reason="left"), NOW
    ).state
    reached.add(s.state)
    upheld = j.AppealDecidedFact(event_id="a", decided_on=START, outcome="no-aln")
    s = rules.appeal_decided(s, upheld, NOW).state
    # closed once the parties' review window (ETW Regs reg 53) passes unasked
    s = rules.fire_alarms(s, later(29, 1)).state
    reached.add(s.state)
    assert reached == set(CaseState)
