"""What the referral service does, each inside one unit of work: the child, the case, the
referral, its audit record and its outbox rows are written together or not at all. Functions
raise domain errors (`llwybr_common.errors`), never HTTP errors."""

import uuid
import zlib
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from llwybr_clock.errors import UnknownAuthorityError
from llwybr_clock.shipped import find_authority
from llwybr_common.auth import Principal
from llwybr_common.errors import AccessDenied, Conflict, FieldError, Invalid, NotFound
from llwybr_common.idempotency import stable_id
from llwybr_common.unit_of_work import UnitOfWork
from llwybr_contracts import date_bounds
from llwybr_contracts.events import (
    CaseOpened,
    CaseOpenedV2,
    CaseRouted,
    CaseRoutedV2,
    ConsentRecorded,
    ReferralReceived,
    ReferralReceivedV2,
)
from llwybr_contracts.identifiers import nhs_number_problem, upn_problem
from llwybr_contracts.journey import JourneyInput
from llwybr_contracts.learner_codes import LanguageOfEducation, YearGroup
from llwybr_contracts.permissions import CaseAction
from llwybr_contracts.states import CaseState, DecidingBody
from llwybr_contracts.vocabulary import RuleId
from referral import access, routing
from referral.advocate_access import REVOKED, AdvocateGrant
from referral.institutions import Institution, find_institution
from referral.models import (
    Case,
    CaseClock,
    CaseNote,
    Child,
    ConsentRecord,
    Referral,
    TimelineEntry,
)
from referral.schemas import ReferralCreate
from referral.schools import find_school


def _now() -> datetime:
    return datetime.now(UTC)


def _new_id() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True)
class Checked:
    """A referral whose every field has been validated, with what routing derived."""

    body: ReferralCreate
    authority: str
    looking_after_authority: str | None
    stage: str
    school_known: bool
    school_maintained: bool
    school_name: str | None
    consent: str | None
    consent_on: date | None
    route: routing.Route
    flags: tuple[str, ...]
    referring_board: str | None = None  # the board of a health body's s.64 notice
    institution: Institution | None = None  # the FEI the learner is a student at

    @property
    def clock_start(self) -> date | None:
        if self.route.rule is None:
            return None
        # A young person's clock runs from consent (docs/rules.md, section 1: `start`).
        return self.consent_on if self.stage == "young-person" else self.body.received_on


def email_problem(email: str) -> bool:
    """A plain check (one @, a dotted domain, no spaces): the mail server has the last word."""
    local, at, domain = email.strip().partition("@")
    return not (local and at and "." in domain.strip(".")) or any(
        c.isspace() for c in email.strip()
    )


def set_contacts(child: Child, body: ReferralCreate) -> None:
    """A referral's family contact and IRO, kept with the child's identity (never in events)."""
    if body.family_contact:
        child.contact_name = body.family_contact.name.strip()
        child.contact_email = body.family_contact.email.strip()
    if body.iro_email:
        child.iro_email = body.iro_email.strip()


def check_referral(
    body: ReferralCreate, *, today: date, by_health_body: frozenset[str] | None = None
) -> Checked:
    """Validate everything at once; one 422 names every bad field. `by_health_body`: the
    boards of a DECLO or clinician giving a s.64 notice (None for an education referrer)."""
    errors: list[FieldError] = []

    def bad(field: str, code: str, message: str = "", **params: str) -> None:
        errors.append(FieldError(field, code, params, message))

    learner = body.learner
    authority = looking_after = None
    try:
        authority = find_authority(body.authority).ons_code
    except UnknownAuthorityError as exc:
        bad("authority", "unknown-authority", str(exc), value=body.authority)
    if learner.looking_after_authority:
        try:
            looking_after = find_authority(learner.looking_after_authority).ons_code
        except UnknownAuthorityError as exc:
            bad(
                "learner.looking_after_authority",
                "unknown-authority",
                str(exc),
                value=learner.looking_after_authority,
            )
    if learner.date_of_birth > today:
        bad("learner.date_of_birth", "date-of-birth-in-future")
    if body.received_on > today:
        bad("received_on", "received-in-future")
    if learner.date_of_birth > body.received_on:
        bad("received_on", "received-before-birth")
    elif learner.date_of_birth <= today:
        # The Act covers learners under 25 on the date of attention (docs/rules.md s.4): a birth
        # date in 1800, or one that makes the learner 25 or 26, opens no case.
        for p in date_bounds.birth_problems(
            "learner.date_of_birth", learner.date_of_birth, attention=body.received_on, today=today
        ):
            bad(p.field, f"dates.{p.code}", **p.params())
    if learner.upn and (why := upn_problem(learner.upn)):
        bad("learner.upn", "upn-invalid", why)
    if learner.nhs_number and (why := nhs_number_problem(learner.nhs_number)):
        bad("learner.nhs_number", "nhs-number-invalid", why)
    stage = routing.stage(learner.date_of_birth, body.received_on)
    consent = learner.consent
    if stage == "young-person":
        if consent is None:
            bad("learner.consent", "consent-required")
        elif consent.status == "given" and consent.date is None:
            bad("learner.consent.date", "consent-date-required")
        elif consent.date and consent.date > today:
            bad("learner.consent.date", "consent-date-in-future")
        elif consent.date and consent.date < learner.date_of_birth:
            p = date_bounds.DateProblem(
                "learner.consent.date",
                date_bounds.BEFORE_BIRTH,
                consent.date,
                learner.date_of_birth,
            )
            bad(p.field, f"dates.{p.code}", **p.params())
    if body.family_contact and email_problem(body.family_contact.email):
        bad("family_contact.email", "email-invalid")
    if body.iro_email is not None:
        if not learner.looked_after:
            bad("iro_email", "iro-only-for-looked-after")  # Children Act 1989 s.25A
        elif email_problem(body.iro_email):
            bad("iro_email", "email-invalid")
    institution = None
    if body.institution is not None:
        # Act s.11: an FEI in Wales decides for its students; it is named by its UKPRN
        ukprn = body.institution.ukprn.strip()
        if body.school is not None:
            bad("institution", "school-and-institution")
        elif not (len(ukprn) == 8 and ukprn.isdigit() and ukprn.startswith("1")):
            bad("institution.ukprn", "ukprn-invalid", value=ukprn)
        elif (institution := find_institution(ukprn)) is None:
            bad("institution.ukprn", "unknown-institution", value=ukprn)
    board = None
    if by_health_body is not None and authority is not None:
        # Act s.64: a health body tells the LA of a child under compulsory school age only,
        # and only for an authority in its board's area (docs/rules.md s.5, s.11).
        board = find_authority(authority).health_board_ons_code
        if stage != "under-school-age":
            bad("learner.date_of_birth", "s64-under-school-age-only")
    if errors:
        raise Invalid(*errors)
    assert authority is not None
    if by_health_body is not None and board not in by_health_body:
        raise AccessDenied("access.referral-scope")
    school_ref = body.school.ref if body.school else None
    school = find_school(school_ref) if school_ref else None
    flags = []
    if school_ref and school is None:
        flags.append("unknown-school-ref")  # accepted with the authority given; an officer checks
    consent_status = consent.status if stage == "young-person" and consent else None
    facts = routing.Facts(
        stage=stage,
        home_authority=authority,
        school_ref=school_ref,
        school_known=school is not None,
        school_maintained=bool(school and school.maintained),
        looked_after=learner.looked_after,
        looking_after_authority=looking_after,
        dual_registered=learner.dual_registered,
        referral_type=body.referral_type.value,
        consent=consent_status,
        institution=institution.ukprn if institution else None,
        detained=learner.detained,
    )
    return Checked(
        body=body,
        authority=authority,
        looking_after_authority=looking_after,
        stage=stage,
        school_known=school is not None,
        school_maintained=bool(school and school.maintained),
        school_name=school.name if school else (body.school.name if body.school else None),
        consent=consent_status,
        consent_on=consent.date if consent_status == "given" and consent else None,
        route=routing.route(facts),
        flags=tuple(flags),
        referring_board=board,
        institution=institution,
    )


def match_key(given_name: str, family_name: str, born: date) -> str:
    return f"{given_name.strip().casefold()}|{family_name.strip().casefold()}|{born.isoformat()}"


async def find_open_case(session: AsyncSession, checked: Checked) -> Case | None:
    learner = checked.body.learner
    key = match_key(learner.given_name, learner.family_name, learner.date_of_birth)
    # Serialise intake per learner, on every identifier it is known by (name and birth date,
    # UPN, NHS number), in one order so two intakes never wait on each other: two
    # simultaneous referrals sharing any one of them cannot both open a case.
    identifiers = {f"match:{key}"}
    if learner.upn:
        identifiers.add(f"upn:{learner.upn}")
    if learner.nhs_number:
        identifiers.add(f"nhs:{learner.nhs_number.replace(' ', '')}")
    for identifier in sorted(identifiers):
        lock = zlib.crc32(identifier.encode())
        await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock})
    same = col(Child.match_key) == key
    if learner.upn:
        same = same | (col(Child.upn) == learner.upn)
    if learner.nhs_number:
        same = same | (col(Child.nhs_number) == learner.nhs_number.replace(" ", ""))
    row = await session.exec(
        select(Case)
        .join(Child, col(Child.id) == col(Case.child_id))
        .where(same, col(Case.state) != CaseState.CLOSED.value)
        .order_by(col(Case.opened_at))
    )
    return row.first()


@dataclass(frozen=True)
class Intake:
    case: Case
    referral: Referral
    journey: JourneyInput | None  # None when attached to an open case, or closed at intake
    repeated: bool = False  # the answer to a retry whose first attempt committed


async def receive_referral(uow: UnitOfWork, *, checked: Checked) -> Intake:
    """Open a case (or attach to the learner's open case when asked); Conflict otherwise. The
    caller may refer only within their own authority or school (else nothing is written)."""
    principal = uow.principal
    # Scope first: a caller who may not refer here learns nothing, not even of a duplicate.
    # (a health body's s.64 notice was checked against its board by `check_referral`)
    if (
        not principal.is_admin
        and checked.referring_board is None
        and not access.can_see(principal, _prospective_case(checked))
    ):
        raise AccessDenied("access.referral-scope")
    intake = await _receive(uow, checked=checked)
    attached = intake.referral.attached
    if intake.repeated:
        uow.audit(
            action="read",
            resource="case",
            resource_id=intake.case.id,
            case_id=intake.case.id,
            purpose="referral retried",
        )
        return intake
    uow.audit(
        action="update" if attached else "create",
        resource="case",
        resource_id=intake.case.id,
        case_id=intake.case.id,
        purpose="referral attached" if attached else "referral received",
    )
    return intake


def _prospective_case(checked: Checked) -> Case:
    """The case this referral would open, for the scope check (never stored)."""
    return Case(  # type: ignore[call-arg]  # transient: ids and times are never needed
        authority=checked.authority,
        school_ref=checked.body.school.ref if checked.body.school else None,
        deciding_body=checked.route.deciding_body.value,
        deciding_authority=checked.route.deciding_authority,
        institution_ukprn=checked.institution.ukprn if checked.institution else None,
    )


async def _receive(uow: UnitOfWork, *, checked: Checked) -> Intake:
    session, principal = uow.session, uow.principal
    body = checked.body
    existing = await find_open_case(session, checked)
    if existing is not None and (first := await session.get(Referral, stable_id("referral"))):
        # This caller's own earlier attempt with this Idempotency-Key committed, but its process
        # died before the answer was stored: answer as that attempt would have.
        child = await session.get(Child, existing.child_id)
        assert child is not None and first.case_id == existing.id
        start = None if first.attached else journey_input(existing, child, first.received_on)
        return Intake(case=existing, referral=first, journey=start, repeated=True)
    if existing is not None and not access.can_see(principal, existing):
        # The learner has an open case another authority or school holds: say so, since a
        # second case would split the learner's record, but never which case or whose.
        uow.deny(
            resource="case",
            resource_id=existing.id,
            case_id=existing.id,
            outcome="duplicate-elsewhere",
        )
        raise Conflict("duplicate-referral-elsewhere")
    if existing is not None:
        if not body.attach_to_open_case:
            raise Conflict(
                "duplicate-referral",
                case_id=existing.id,
                extra={
                    "open_case": {"case_id": existing.id, "href": f"/api/v1/cases/{existing.id}"}
                },
            )
        referral = _referral(existing.id, checked, principal, attached=True)
        session.add(referral)
        child = await session.get(Child, existing.child_id)
        assert child is not None
        set_contacts(child, body)  # new information may bring the family's current contact
        session.add(child)
        _timeline(session, existing.id, "referral-attached", referral.referral_type)
        _received(uow, existing, child, referral)
        return Intake(case=existing, referral=referral, journey=None)

    learner = body.learner
    child = Child(
        id=_new_id(),
        child_ref=f"ch-{uuid.uuid4().hex[:16]}",
        given_name=learner.given_name.strip(),
        family_name=learner.family_name.strip(),
        date_of_birth=learner.date_of_birth,
        upn=learner.upn,
        nhs_number=learner.nhs_number.replace(" ", "") if learner.nhs_number else None,
        language_of_education=learner.language_of_education and learner.language_of_education.value,
        preferred_language=learner.preferred_language,
        match_key=match_key(learner.given_name, learner.family_name, learner.date_of_birth),
    )
    set_contacts(child, body)
    route = checked.route
    now = _now()
    case = Case(
        id=_new_id(),
        child_id=child.id,
        authority=checked.authority,
        school_ref=body.school.ref if body.school else None,
        school_name=checked.school_name,
        looked_after=learner.looked_after,
        looking_after_authority=checked.looking_after_authority,
        dual_registered=learner.dual_registered,
        stage=checked.stage,
        state=route.state.value,
        deciding_body=route.deciding_body.value,
        deciding_authority=route.deciding_authority,
        routing_reason=route.reason,
        first_rule=route.rule,
        clock_start=checked.clock_start,
        institution_ukprn=checked.institution.ukprn if checked.institution else None,
        institution_name=checked.institution.name_en if checked.institution else None,
        detained=learner.detained,
        flags=list(checked.flags),
        opened_at=now,
        updated_at=now,
    )
    session.add(child)
    await session.flush()
    session.add(case)
    await session.flush()
    referral = _referral(case.id, checked, principal, attached=False)
    session.add(referral)
    if checked.consent:
        session.add(
            ConsentRecord(
                id=_new_id(),
                case_id=case.id,
                status=checked.consent,
                on=checked.consent_on,
                recorded_by=principal.subject,
                recorded_at=now,
            )
        )
    _timeline(session, case.id, "case-opened", route.reason)
    if checked.referring_board:
        _timeline(session, case.id, "health-notice-s64", checked.referring_board)  # Act s.64
    _received(uow, case, child, referral)
    _event(
        uow,
        CaseOpenedV2(
            case_id=case.id,
            child_ref=child.child_ref,
            authority=case.authority,
            received_on=referral.received_on,
            state=route.state,
            deciding_body=route.deciding_body,
            deciding_authority=route.deciding_authority,
            school_ref=case.school_ref,
            first_rule=case.first_rule,
            clock_start=case.clock_start,
            year_group=YearGroup(referral.year_group),
            language_of_education=LanguageOfEducation(referral.language_of_education),
        ),
    )
    _event(
        uow,
        CaseRoutedV2(
            case_id=case.id,
            deciding_body=route.deciding_body,
            deciding_authority=route.deciding_authority,
            school_ref=case.school_ref,
            reason=route.reason,
            institution=case.institution_ukprn if route.deciding_body == DecidingBody.FEI else None,
        ),
    )
    if checked.consent:
        _event(
            uow,
            ConsentRecorded(case_id=case.id, answer=checked.consent, given_on=checked.consent_on),  # type: ignore[arg-type]
        )
    return Intake(
        case=case, referral=referral, journey=journey_input(case, child, referral.received_on)
    )


def journey_input(case: Case, child: Child, received_on: date) -> JourneyInput | None:
    """What the journey is started with: ids, codes and dates only."""
    if case.state == CaseState.CLOSED.value:
        return None  # a young person refused consent: nothing to run
    rule = case.first_rule
    if rule is None and case.state == CaseState.CONSENT_PENDING.value:
        # the clock that starts on consent, so the journey runs the one routing chose
        rule = (
            RuleId.LA_DECISION  # a detained person (routing: "detained-person")
            if case.detained
            else routing.decision_rule(
                case.stage,
                DecidingBody(case.deciding_body),
                at_school_or_fei=bool(case.school_ref or case.institution_ukprn),
            )
        )
    return JourneyInput(
        case_id=case.id,
        child_ref=child.child_ref,
        authority=case.authority,
        received_on=received_on,
        state=CaseState(case.state),
        deciding_body=DecidingBody(case.deciding_body),
        deciding_authority=case.deciding_authority,
        school_ref=case.school_ref,
        first_rule=rule,
        clock_start=case.clock_start,
        duties_end=date_bounds.duties_end(child.date_of_birth),
        institution=case.institution_ukprn,
        detained=case.detained,
    )


def _referral(case_id: str, checked: Checked, principal: Principal, *, attached: bool) -> Referral:
    body = checked.body
    return Referral(
        id=stable_id("referral"),  # a retry of the same Idempotency-Key finds this row
        case_id=case_id,
        source=body.source.value,
        referral_type=body.referral_type.value,
        received_on=body.received_on,
        concern=body.concern,
        referrer_name=body.referrer.name if body.referrer else None,
        referrer_role=body.referrer.role if body.referrer else None,
        submitted_by=principal.subject,
        referring_board=checked.referring_board,
        attached=attached,
        created_at=_now(),
        year_group=body.learner.year_group.value,
        language_of_education=(
            body.learner.language_of_education or LanguageOfEducation.UNKNOWN
        ).value,
    )


def _received(uow: UnitOfWork, case: Case, child: Child, referral: Referral) -> None:
    _event(
        uow,
        ReferralReceivedV2(
            case_id=case.id,
            referral_id=referral.id,
            child_ref=child.child_ref,
            source=referral.source,
            kind=referral.referral_type,
            received_on=referral.received_on,
            authority=case.authority,
            year_group=YearGroup(referral.year_group),
            language_of_education=LanguageOfEducation(referral.language_of_education),
        ),
    )


def _event(
    uow: UnitOfWork, event: ReferralReceived | CaseOpened | CaseRouted | ConsentRecorded
) -> None:
    uow.add_event(event, event_id=_new_id(), subject=event.case_id)


def _timeline(
    session: AsyncSession, case_id: str, kind: str, detail: str = "", event_id: str | None = None
) -> None:
    session.add(
        TimelineEntry(
            id=_new_id(), case_id=case_id, at=_now(), kind=kind, detail=detail, event_id=event_id
        )
    )


async def add_note(
    session: AsyncSession,
    *,
    case_id: str,
    command: str,
    text_: str | None,
    principal: Principal,
    subject_id: str | None = None,
) -> None:
    # A retry of a command whose first attempt committed finds that attempt's note (same id).
    note_id = stable_id(f"note:{command}:{case_id}")
    if text_ and await session.get(CaseNote, note_id) is None:
        session.add(
            CaseNote(
                id=note_id,
                case_id=case_id,
                command=command,
                subject_id=subject_id,
                text=text_,
                written_by=principal.subject,
                written_at=_now(),
            )
        )


async def record_consent(uow: UnitOfWork, *, case: Case, status: str, on: date) -> None:
    uow.session.add(
        ConsentRecord(
            id=_new_id(),
            case_id=case.id,
            status=status,
            on=on,
            recorded_by=uow.principal.subject,
            recorded_at=_now(),
        )
    )
    _timeline(uow.session, case.id, "consent-recorded", status)
    _event(
        uow,
        ConsentRecorded(case_id=case.id, answer=status, given_on=on if status == "given" else None),  # type: ignore[arg-type]
    )


async def referred_on(session: AsyncSession, case_id: str) -> date | None:
    """The date the referral that opened the case came to attention (the journey's start)."""
    row = await session.exec(
        select(Referral).where(col(Referral.case_id) == case_id, col(Referral.attached).is_(False))
    )
    first = row.first()
    return first.received_on if first else None


async def lock_case(session: AsyncSession, case_id: str) -> None:
    """Serialise commands on one case until this transaction ends."""
    lock = zlib.crc32(f"case:{case_id}".encode())
    await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock})


async def _la_reconsidering(uow: UnitOfWork, case_id: str) -> bool:
    """Whether the LA is reconsidering a school's decision or plan now (s.26-27)."""
    rules = (RuleId.LA_RECONSIDER_DECISION.value, RuleId.LA_RECONSIDER_IDP.value)
    row = await uow.session.exec(
        select(CaseClock.id).where(
            col(CaseClock.case_id) == case_id,
            col(CaseClock.rule).in_(rules),
            col(CaseClock.status) != "met",
        )
    )
    return row.first() is not None


async def load_case(
    uow: UnitOfWork,
    case_id: str,
    *,
    action: CaseAction | None = None,
    advocate: AdvocateGrant | None = None,
) -> tuple[Case, Child]:
    """The case, if the caller may see it (and, with `action`, take that step on it). A case
    the caller may not see is "not found", exactly as one that does not exist, so that no
    answer reveals that a record exists; a step the caller may not take on a case they can see
    is 403 with the reason. Both refusals are audited even though the request then fails.
    `advocate`: what the advocacy service said of an advocate caller (reads only): granted
    while consent stands, 403 with the reason once it no longer does (Act s.69)."""
    case = await uow.session.get(Case, case_id)
    if case is None:
        raise NotFound("not-found.case", case_id=case_id)
    if not access.can_see(uow.principal, case) and not (advocate and advocate.granted):
        if advocate is not None and advocate.access in REVOKED:
            uow.deny(resource="case", resource_id=case_id, case_id=case_id, outcome=advocate.access)
            raise AccessDenied(REVOKED[advocate.access])
        uow.deny(resource="case", resource_id=case_id, case_id=case_id, outcome="not-visible")
        raise NotFound("not-found.case", case_id=case_id)
    if action is not None:
        decided = access.decided_by(case, la_reconsidering=await _la_reconsidering(uow, case_id))
        if not access.can_act(uow.principal, action, decided):
            uow.deny(resource="case", resource_id=case_id, case_id=case_id)
            raise AccessDenied(
                "access.action-not-allowed",
                extra={"action": action.value, "decided_by": decided.value},
            )
    child = await uow.session.get(Child, case.child_id)
    assert child is not None
    return case, child
