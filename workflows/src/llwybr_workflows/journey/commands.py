"""The journey's updates (human steps), pure: one function each, `(state, command, now) ->
Outcome | Refusal`, checked in one order: a closed case, dates in the future, the calendars
still loading (the workflow lets such an update wait), then the command's own conditions."""

from datetime import date, datetime

from llwybr_clock import ClockError
from llwybr_clock.wales import wales_date
from llwybr_contracts import date_bounds
from llwybr_contracts import journey as j
from llwybr_contracts.events import (
    AlnDecided,
    ReferredToLa,
)
from llwybr_contracts.states import CaseState, DecidingBody
from llwybr_contracts.vocabulary import Refusal, RefusalCode, RuleId
from llwybr_workflows.journey.contracts import (
    ExceptionRecord,
    HealthInputStart,
    HealthRequestRecord,
)
from llwybr_workflows.journey.lifecycle import decision_rule
from llwybr_workflows.journey.state import JourneyState
from llwybr_workflows.journey.step import (
    Outcome,
    Step,
    refuse,
)

# Act s.70: the decisions of an LA and of an FEI are appealable to the Tribunal; a school's
# goes to LA reconsideration instead (ss.26-27, 32).
APPEALABLE = (DecidingBody.LOCAL_AUTHORITY, DecidingBody.FEI)

# -- checks every update shares ----------------------------------------------------------------


def _open_and_past(
    s: JourneyState, now: datetime, *dates: tuple[str, date | None]
) -> Refusal | None:
    """A closed case accepts nothing; a fact recorded has happened (today or earlier in Wales);
    the rest waits for the calendars (JOURNEY_STARTING: the workflow holds the update)."""
    if s.closed:
        return refuse(RefusalCode.CASE_CLOSED)
    today = wales_date(now)
    for name, day in dates:
        if day is not None and day > today:
            return refuse(RefusalCode.DATE_IN_FUTURE, field=name, day=day, today=today)
    if not s.ready:
        return refuse(RefusalCode.JOURNEY_STARTING)
    return None


def _dates(cmd: object) -> tuple[tuple[str, date | None], ...]:
    """The dates a person entered on a command, by the payload's field names."""
    match cmd:
        case j.RecordConsent():
            return (("on", cmd.on),)
        case j.ReferToLa():
            return (("referred_on", cmd.referred_on),)
        case j.RecordDecision():
            return (("decided_on", cmd.decided_on), ("notice_given_on", cmd.notice_given_on))
        case j.RequestHealthInput():
            return (("sent_on", cmd.sent_on),)
        case j.WithdrawHealthInput():
            return (("on", cmd.on),)
        case j.RecordException():
            return (("from", cmd.from_), ("until", cmd.until))
        case j.RequestReview():
            return (("requested_on", cmd.requested_on),)
        case j.RequestReconsideration():
            return (("received_on", cmd.received_on),)
        case j.RecordRelease():
            return (("released_on", cmd.released_on),)
        case j.RequestTribunalReview():
            return (("requested_on", cmd.requested_on),)
        case j.RequestFeiTakeover():
            return (("received_on", cmd.received_on),)
        case j.AnswerFeiTakeover():
            return (("answered_on", cmd.answered_on),)
    return ()


def within_case(s: JourneyState, cmd: object, now: datetime) -> Refusal | None:
    """Dates that cannot be (docs/rules.md, "Dates that cannot be"): no step on a case happens
    before the referral that opened it, and a notice is not given before its decision. The
    learner's birth date never enters the journey: the case API checks that bound. Run by every
    validator, and by a handler only under patch `dates-within-case`."""
    if s.closed:
        return None  # the rule itself says case-closed
    found = date_bounds.case_date_problems(
        _dates(cmd), today=None, referred_on=s.journey.received_on
    )
    if isinstance(cmd, j.RecordDecision) and (
        late := date_bounds.notice_problem(cmd.decided_on, cmd.notice_given_on, "notice_given_on")
    ):
        found.append(late)
    if not found:
        return None
    first = found[0]
    code = (
        RefusalCode.DATE_BEFORE_DECISION
        if first.code == date_bounds.BEFORE_DECISION
        else RefusalCode.DATE_BEFORE_REFERRAL
    )
    return refuse(code, field=first.field, day=first.day, bound=first.bound)


# -- updates: human steps ----------------------------------------------------------------------


def record_consent(s: JourneyState, cmd: j.RecordConsent, now: datetime) -> Outcome | Refusal:
    if refused := _open_and_past(s, now, ("on", cmd.on)):
        return refused
    if s.state != CaseState.CONSENT_PENDING:
        return refuse(RefusalCode.CONSENT_NOT_PENDING, state=s.state)
    step = Step(s, now)
    if cmd.answer == "refused":
        # Act s.11(3): a young person's refusal ends the duty, so the case closes
        step.close("consent-refused", cmd.on)
        return step.done("consent refused: case closed")
    rule = decision_rule(s)
    # for a young person the decision clock starts on consent (docs/rules.md)
    step.start_clock(rule, cmd.on)
    step.set_state(CaseState.DECISION_PENDING)
    return step.done(f"{rule} started {cmd.on.isoformat()}")


def refer_to_la(s: JourneyState, cmd: j.ReferToLa, now: datetime) -> Outcome | Refusal:
    if refused := _open_and_past(s, now, ("referred_on", cmd.referred_on)):
        return refused
    step = Step(s, now)
    if s.state != CaseState.DECISION_PENDING:
        return refuse(RefusalCode.NOT_DECISION_PENDING, state=s.state)
    school = step.open_rule(RuleId.SCHOOL_DECISION)
    if school is None:
        return refuse(RefusalCode.NO_SCHOOL_CLOCK, rule=RuleId.SCHOOL_DECISION)
    if cmd.referred_on < school.start:
        return refuse(RefusalCode.REFERRED_BEFORE_CLOCK, start=school.start)
    # Act s.12(2): the school refers; the LA decides under s.13 on its own 12-week clock.
    # The school's s.11 duty is discharged by the referral: its clock is met that day.
    step.meet(RuleId.SCHOOL_DECISION, cmd.referred_on)
    step.set(deciding_body=DecidingBody.LOCAL_AUTHORITY, deciding_authority=cmd.authority)
    step.emit(
        ReferredToLa(
            case_id=s.journey.case_id, authority=cmd.authority, referred_on=cmd.referred_on
        )
    )
    step.start_clock(RuleId.LA_DECISION, cmd.referred_on)
    return step.done(f"la-decision started {cmd.referred_on.isoformat()}")


def record_decision(s: JourneyState, cmd: j.RecordDecision, now: datetime) -> Outcome | Refusal:
    dates = (("decided_on", cmd.decided_on), ("notice_given_on", cmd.notice_given_on))
    if refused := _open_and_past(s, now, *dates):
        return refused
    if cmd.outcome == "no-aln" and cmd.notice_given_on is None:
        return refuse(RefusalCode.NOTICE_DATE_REQUIRED)
    step = Step(s, now)
    reconsidering = step.reconsideration()
    released = step.open_rule(RuleId.DETENTION_RELEASE)
    if reconsidering is None and released is None:
        if s.state == CaseState.CONSENT_PENDING:
            return refuse(RefusalCode.CONSENT_NOT_GIVEN)
        if s.state != CaseState.DECISION_PENDING or s.decided:
            return refuse(RefusalCode.DECISION_ALREADY_RECORDED)
    body = s.deciding_body
    notice = cmd.notice_given_on or cmd.decided_on
    if reconsidering is not None:
        # Act ss.26, 27, 32: the LA's reconsideration outcome is an LA decision, appealable
        step.meet(reconsidering.key, notice)
        body = DecidingBody.LOCAL_AUTHORITY
        step.set(deciding_body=body)
    if released is not None:
        # Regs reg 18: the home authority's decision after the learner's release
        step.meet(released.key, notice)
        body = DecidingBody.LOCAL_AUTHORITY
    step.set(decided=True)
    step.emit(
        AlnDecided(
            case_id=s.journey.case_id,
            has_aln=cmd.outcome == "aln",
            deciding_body=body or DecidingBody.LOCAL_AUTHORITY,
            decided_on=cmd.decided_on,
        )
    )
    if s.state == CaseState.CEASING:
        if cmd.outcome == "aln":
            step.set_state(CaseState.IDP_ACTIVE)  # the plan is kept
        else:
            step.open_appeal_window(notice)  # Act s.70: ceasing confirmed by the LA
        return step.done()
    if reconsidering is not None and reconsidering.rule == RuleId.LA_RECONSIDER_IDP:
        step.open_appeal_window(notice)
        return step.done("IDP reconsideration decided")
    if released is not None and s.state in (CaseState.IDP_ACTIVE, CaseState.IDP_IN_PREPARATION):
        if cmd.outcome == "aln":
            return step.done("plan kept after release")
        # no IDP needed after release: an LA decision, appealable (Act s.70)
        step.set_state(CaseState.NO_ALN)
        step.open_appeal_window(notice)
        return step.done()
    if cmd.outcome == "no-aln":
        # docs/rules.md "Met": the decision clock is met by the no-ALN notice
        if (clock := step.decision_clock()) is not None:
            step.meet(clock.key, notice)
        step.set_state(CaseState.NO_ALN)
        if body in APPEALABLE:
            step.open_appeal_window(notice)  # Act s.70; a school's decision is not appealable
        return step.done()
    # ALN: the decision clock runs on until IdpIssued (docs/rules.md "Met"); after an LA
    # reconsideration the LA maintains the plan [assumed: Act s.14 lets it direct a school]
    step.set(maintainer=body)
    step.set_state(CaseState.IDP_IN_PREPARATION)
    return step.done()


def request_health_input(
    s: JourneyState, cmd: j.RequestHealthInput, now: datetime
) -> Outcome | Refusal:
    if refused := _open_and_past(s, now, ("sent_on", cmd.sent_on)):
        return refused
    if s.state == CaseState.CONSENT_PENDING:
        return refuse(RefusalCode.CONSENT_NOT_GIVEN)
    step = Step(s, now)
    if cmd.request_id in step.health:
        return refuse(RefusalCode.HEALTH_REQUEST_EXISTS, request_id=cmd.request_id)
    step.health[cmd.request_id] = HealthRequestRecord(
        request_id=cmd.request_id, sent_on=cmd.sent_on
    )
    # a shadow of the HealthInput child's clock, shown by `status`; the child owns its timers
    step.start_clock(RuleId.HEALTH_RESPONSE, cmd.sent_on, subject=cmd.request_id, alarms=False)
    return step.done(f"health request {cmd.request_id} sent")


def health_input_start(s: JourneyState, cmd: j.RequestHealthInput) -> HealthInputStart:
    """The HealthInput child's input for an accepted request (Act s.20)."""
    assert s.setup is not None
    return HealthInputStart(
        case_id=s.journey.case_id,
        request_id=cmd.request_id,
        authority=s.journey.authority,
        la=s.deciding_authority or s.journey.authority,
        sent_on=cmd.sent_on,
        setup=s.setup,
    )


def withdraw_health_input(
    s: JourneyState, cmd: j.WithdrawHealthInput, now: datetime
) -> Outcome | Refusal:
    refused = _open_and_past(s, now, ("on", cmd.on))
    if refused is not None and refused.code != RefusalCode.JOURNEY_STARTING:
        return refused
    step = Step(s, now)
    record = step.health.get(cmd.request_id)
    if record is None:
        return refuse(RefusalCode.HEALTH_REQUEST_UNKNOWN, request_id=cmd.request_id)
    if record.outcome is not None:
        return refuse(
            RefusalCode.HEALTH_REQUEST_ANSWERED,
            request_id=cmd.request_id,
            outcome=record.outcome,
        )
    step.health[cmd.request_id] = record.model_copy(update={"outcome": "withdrawn", "on": cmd.on})
    # a withdrawn request is not a duty done: its shadow clock goes, the timeline keeps it
    step.require_book().records.pop(f"{RuleId.HEALTH_RESPONSE}:{cmd.request_id}", None)
    step.note(cmd.on, "HealthInputWithdrawn", f"request_id={cmd.request_id}")
    return step.done(f"health request {cmd.request_id} withdrawn")


def _exception(cmd: j.RecordException, now: datetime) -> ExceptionRecord:
    return ExceptionRecord(
        exception_id=cmd.exception_id,
        action=cmd.action,
        reason=cmd.reason,
        from_=cmd.from_,
        until=cmd.until,
        actor=cmd.actor,
        recorded_at=now,
    )


def record_exception(
    s: JourneyState, cmd: j.RecordException, now: datetime, *, alarms_before_pause: bool = False
) -> Outcome | Refusal:
    """`alarms_before_pause` (patch `open-pause-from-its-date`): a pause planned to open on a
    later day leaves the clock's alarms before that day in place (docs/rules.md#pauses)."""
    if refused := _open_and_past(s, now):
        return refused
    if cmd.exception_id in s.exception_ids:
        return Outcome(s, detail=f"exception {cmd.exception_id} already recorded")
    if cmd.rule == RuleId.HEALTH_RESPONSE:
        # Regs reg 11(3): the NHS body's clock changes only by its own facts
        return refuse(RefusalCode.CLOCK_NOT_ADJUSTABLE, rule=cmd.rule)
    step = Step(s, now)
    book = step.require_book()
    record = step.open_rule(cmd.rule)
    if record is None:
        return refuse(RefusalCode.CLOCK_NOT_RUNNING, rule=cmd.rule)
    if cmd.action == "pause" and cmd.until is not None and cmd.until < cmd.from_:
        return refuse(RefusalCode.PAUSE_ENDS_BEFORE_START)
    before = book.clock(record).due()
    try:
        update: dict[str, object] = {"exceptions": (*record.exceptions, _exception(cmd, now))}
        if alarms_before_pause:
            update["alarms_before_pause"] = True
        record = book.put(record.model_copy(update=update))
    except ClockError as exc:  # e.g. a resume with no open pause
        return refuse(
            RefusalCode.EXCEPTION_NOT_ALLOWED,
            rule=cmd.rule,
            action=cmd.action,
            reason=type(exc).__name__,
        )
    step.set(exception_ids=(*s.exception_ids, cmd.exception_id))
    if alarms_before_pause:  # announced when it takes effect (lifecycle.fire_alarms)
        step.wake = True
        return step.done(f"{cmd.rule} pause planned from {cmd.from_.isoformat()}")
    change = {"pause": "paused", "resume": "resumed", "lift": "lifted"}[cmd.action]
    step.changed(record, before, change, cmd.reason)
    step.wake = True  # the timer follows the new due date at once
    due = record.last_due.isoformat() if record.last_due else "none"
    return step.done(f"{cmd.rule} {change}: due {due}")


def request_review(s: JourneyState, cmd: j.RequestReview, now: datetime) -> Outcome | Refusal:
    refused = _open_and_past(s, now, ("requested_on", cmd.requested_on))
    if refused is not None and refused.code != RefusalCode.JOURNEY_STARTING:
        return refused
    if s.state != CaseState.IDP_ACTIVE:
        return refuse(RefusalCode.NO_ACTIVE_IDP, state=s.state)
    # Act s.24: a review on request; the review held arrives as IdpReviewed
    step = Step(s, now)
    step.note(cmd.requested_on, "ReviewRequested", cmd.requested_by)
    return step.done("review requested")


def request_reconsideration(
    s: JourneyState, cmd: j.RequestReconsideration, now: datetime
) -> Outcome | Refusal:
    if refused := _open_and_past(s, now, ("received_on", cmd.received_on)):
        return refused
    step = Step(s, now)
    if cmd.kind == "decision":
        if s.deciding_body != DecidingBody.SCHOOL or not s.decided:
            return refuse(RefusalCode.ONLY_SCHOOL_DECISION)
        if step.open_rule(RuleId.LA_RECONSIDER_DECISION) is not None:
            return refuse(RefusalCode.RECONSIDERATION_RUNNING)
        # Act s.26: the LA reconsiders a school's decision (7 weeks)
        step.start_clock(RuleId.LA_RECONSIDER_DECISION, cmd.received_on)
        return step.done("la-reconsider-decision started")
    if cmd.kind == "idp":
        if s.state != CaseState.IDP_ACTIVE or s.maintainer != DecidingBody.SCHOOL:
            return refuse(RefusalCode.ONLY_SCHOOL_IDP)
        if step.open_rule(RuleId.LA_RECONSIDER_IDP) is not None:
            return refuse(RefusalCode.RECONSIDERATION_RUNNING)
        # Act s.27: the LA reconsiders a school-maintained IDP
        step.start_clock(RuleId.LA_RECONSIDER_IDP, cmd.received_on)
        return step.done("la-reconsider-idp started")
    if step.open_rule(RuleId.CEASE_RECONSIDER_REQUEST) is None:
        return refuse(RefusalCode.CLOCK_NOT_RUNNING, rule=RuleId.CEASE_RECONSIDER_REQUEST)
    # Regs reg 12, Act s.32: the family asked within the window; the LA's answer follows as a
    # decision (aln: the plan is kept; no-aln: ceasing confirmed)
    step.meet(RuleId.CEASE_RECONSIDER_REQUEST, cmd.received_on)
    step.start_clock(RuleId.LA_RECONSIDER_IDP, cmd.received_on)
    return step.done("cease reconsideration requested")


def record_release(s: JourneyState, cmd: j.RecordRelease, now: datetime) -> Outcome | Refusal:
    if refused := _open_and_past(s, now, ("released_on", cmd.released_on)):
        return refused
    if not s.detained:
        return refuse(RefusalCode.NOT_DETAINED)
    step = Step(s, now)
    # Act ss.39-56, Regs reg 18: on release the home authority decides, within 12 weeks of the
    # release coming to its attention, whether the learner will need an IDP (docs/rules.md)
    step.set(detained=False, released_on=cmd.released_on)
    step.note(cmd.released_on, "ReleasedFromDetention", s.deciding_authority or "")
    step.start_clock(RuleId.DETENTION_RELEASE, cmd.released_on)
    return step.done(f"detention-release started {cmd.released_on.isoformat()}")


def request_tribunal_review(
    s: JourneyState, cmd: j.RequestTribunalReview, now: datetime
) -> Outcome | Refusal:
    if refused := _open_and_past(s, now, ("requested_on", cmd.requested_on)):
        return refused
    step = Step(s, now)
    window = step.open_rule(RuleId.TRIBUNAL_REVIEW_APPLICATION)
    if window is None:
        return refuse(RefusalCode.NO_TRIBUNAL_DECISION)
    if cmd.requested_on < window.start:
        return refuse(
            RefusalCode.DATE_BEFORE_DECISION,
            field="requested_on",
            day=cmd.requested_on,
            bound=window.start,
        )
    # ETW Regs reg 53: a party asked within the window (a late one is met, counted late); the
    # case waits for the Tribunal's answer, which comes as a new AppealDecided
    step.meet(window.key, cmd.requested_on)
    step.set(close_after_review=False)
    step.note(cmd.requested_on, "TribunalReviewRequested", cmd.requested_by)
    return step.done("tribunal review requested")


def request_fei_takeover(
    s: JourneyState, cmd: j.RequestFeiTakeover, now: datetime
) -> Outcome | Refusal:
    if refused := _open_and_past(s, now, ("received_on", cmd.received_on)):
        return refused
    if s.state != CaseState.IDP_ACTIVE:
        return refuse(RefusalCode.NO_ACTIVE_IDP, state=s.state)
    if s.maintainer != DecidingBody.LOCAL_AUTHORITY:
        return refuse(RefusalCode.NOT_LA_PLAN)
    step = Step(s, now)
    if step.open_rule(f"{RuleId.FEI_TAKEOVER_RESPONSE}:{cmd.ukprn}") is not None:
        return step.done(f"take-over already asked of {cmd.ukprn}")
    # Regs reg 13: the FEI answers within 20 of its term-time days of receiving the request
    # (counted on this case's calendar until the FEI's own is imported [assumed])
    step.start_clock(RuleId.FEI_TAKEOVER_RESPONSE, cmd.received_on, subject=cmd.ukprn)
    step.note(cmd.received_on, "FeiTakeoverRequested", f"fei:{cmd.ukprn}")
    return step.done(f"fei-takeover-response started {cmd.received_on.isoformat()}")


def answer_fei_takeover(
    s: JourneyState, cmd: j.AnswerFeiTakeover, now: datetime
) -> Outcome | Refusal:
    if refused := _open_and_past(s, now, ("answered_on", cmd.answered_on)):
        return refused
    step = Step(s, now)
    key = f"{RuleId.FEI_TAKEOVER_RESPONSE}:{cmd.ukprn}"
    record = step.open_rule(key)
    if record is None:
        return refuse(RefusalCode.CLOCK_NOT_RUNNING, rule=key)
    if cmd.answered_on < record.start:
        return refuse(
            RefusalCode.DATE_BEFORE_REFERRAL,
            field="answered_on",
            day=cmd.answered_on,
            bound=record.start,
        )
    # the FEI answered: its duty is done; an agreed plan moves when the idp service transfers
    # it (IdpTransferred to `fei:<UKPRN>`, Act s.35 shape)
    step.meet(key, cmd.answered_on)
    step.note(cmd.answered_on, "FeiTakeoverAnswered", f"fei:{cmd.ukprn} {cmd.answer}")
    return step.done(f"take-over {cmd.answer} by {cmd.ukprn}")
