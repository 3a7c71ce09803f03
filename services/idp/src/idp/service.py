"""What the idp service does. Every function is keyword-only and works inside the caller's one
unit of work: the plan, its change log, the audit records and the outbox rows commit together
or not at all. Refusals are domain errors (`llwybr_common.errors`), never HTTP errors."""

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from idp.access import Viewer
from idp.models import (
    CaseFacts,
    HealthAnswer,
    Idp,
    IdpChange,
    IdpEventRecord,
    IdpState,
    IdpVersion,
    ProvisionCreate,
    ProvisionItem,
    Section,
)
from idp.outcomes import OutcomeText, outcome_flags
from idp.rules import maintainer_for, review_due, transfer_carries_plan
from llwybr_clock.shipped import find_authority
from llwybr_common.audit import audit
from llwybr_common.errors import AccessDenied, Conflict, FieldError, Invalid, NotFound
from llwybr_common.unit_of_work import UnitOfWork
from llwybr_contracts.events import (
    IdpCeased,
    IdpDrafted,
    IdpIssuedV2,
    IdpReviewedV2,
    IdpTransferred,
)

log = logging.getLogger(__name__)

HEALTH_AUTHOR = "health-liaison"  # the author of items written in from a board's answer

# The fields of a section each PUT may hold (anything else is refused by name).
SECTION_FIELDS: dict[Section, dict[str, bool]] = {
    # the one-page profile (the Code's form): what people like and admire about me, what is
    # important to me, how best to support me
    Section.PROFILE: {
        "liked_and_admired": False,
        "important_to_me": True,
        "how_to_support_me": True,
    },
    # the ALN, kept apart from any diagnosis
    Section.ALN_DESCRIPTION: {"description": True, "diagnosis": False},
    # administration and contacts: codes and roles, never names (they stay in referral)
    Section.ADMINISTRATION: {
        "education_medium": False,
        "setting": False,
        "contacts": False,
        "reasons_for_decisions": False,
        "transition": False,
        "content_language": False,
    },
}
ITEM_FIELDS = (
    "outcome",
    "measure",
    "baseline",
    "target",
    "outcome_date",
    "provision",
    "frequency",
    "duration",
    "group_size",
    "welsh_delivery",
    "deliverer",
    "start_date",
    "review_date",
    "rationale",
)


def _now() -> datetime:
    return datetime.now(UTC)


def _id() -> str:
    return str(uuid.uuid4())


# --- projection of the case (from referral and journey events) --------------------------------


async def case_facts(session: AsyncSession, case_id: str) -> CaseFacts:
    """The case's row, created at first sight: events from two topics may come in any order."""
    found = await session.get(CaseFacts, case_id)
    if found is None:
        found = CaseFacts(case_id=case_id, updated_at=_now())
    return found


async def note_case(
    session: AsyncSession,
    *,
    case_id: str,
    child_ref: str | None = None,
    authority: str | None = None,
    deciding_body: str | None = None,
    deciding_authority: str | None = None,
    school_ref: str | None = None,
    institution: str | None = None,
) -> CaseFacts:
    case = await case_facts(session, case_id)
    for name, value in (
        ("child_ref", child_ref),
        ("authority", authority),
        ("deciding_body", deciding_body),
        ("deciding_authority", deciding_authority),
        ("school_ref", school_ref),
        ("institution", institution),
    ):
        if value is not None:
            setattr(case, name, value)
    case.updated_at = _now()
    session.add(case)
    return case


async def note_aln_decided(
    session: AsyncSession, *, case_id: str, has_aln: bool, deciding_body: str, decided_on: date
) -> CaseFacts:
    case = await case_facts(session, case_id)
    case.has_aln, case.deciding_body, case.aln_decided_on = has_aln, deciding_body, decided_on
    case.updated_at = _now()
    session.add(case)
    return case


async def plan_of_case(session: AsyncSession, case_id: str) -> Idp | None:
    return (await session.exec(select(Idp).where(Idp.case_id == case_id))).first()


async def note_review_clock(session: AsyncSession, *, case_id: str, due: date | None) -> None:
    """The journey owns `idp-review`: keep its due date (None while paused)."""
    plan = await plan_of_case(session, case_id)
    if plan is None:
        return
    plan.review_due = due
    plan.updated_at = _now()
    session.add(plan)


async def note_review_at_risk(session: AsyncSession, *, case_id: str) -> None:
    """`DeadlineAtRisk` for `idp-review`: on the maintaining body's list of reviews due."""
    plan = await plan_of_case(session, case_id)
    if plan is None:
        log.warning("review at risk for a case with no plan here", extra={"case_id": case_id})
        return
    plan.review_at_risk = True
    plan.updated_at = _now()
    session.add(plan)


async def note_health_answer(
    session: AsyncSession,
    *,
    case_id: str,
    request_id: str,
    welsh_delivery: bool | None,
    answered_on: date,
) -> HealthAnswer | None:
    """A board identified a service (Act s.21(3)-(4)): the plan describes it as provision that
    NHS body secures. Written into the case's plan now, or into its draft when one is opened."""
    if await session.get(HealthAnswer, request_id) is not None:
        return None
    case = await session.get(CaseFacts, case_id)
    # The request went to the board for the learner's home authority (docs/rules.md section 5).
    board = (
        find_authority(case.authority).health_board_ons_code if case and case.authority else None
    )
    answer = HealthAnswer(
        request_id=request_id,
        case_id=case_id,
        board=board,
        welsh_delivery=welsh_delivery,
        answered_on=answered_on,
    )
    session.add(answer)
    plan = await plan_of_case(session, case_id)
    if plan is not None and plan.state != IdpState.CEASED:
        await _write_in_health_answer(session, plan, answer)
    return answer


async def _write_in_health_answer(session: AsyncSession, plan: Idp, answer: HealthAnswer) -> None:
    now = _now()
    item = ProvisionItem(
        item_id=_id(),
        idp_id=plan.idp_id,
        position=await _next_position(session, plan.idp_id),
        deliverer=f"nhs:{answer.board}" if answer.board else "nhs",
        # The board's advice is carried over; the author confirms it when completing the item.
        welsh_delivery=bool(answer.welsh_delivery),
        welsh_delivery_advice=answer.welsh_delivery,
        needs_completion=True,
        health_request_id=answer.request_id,
        start_date=answer.answered_on,
        created_at=now,
        updated_at=now,
    )
    session.add(item)
    answer.item_id = item.item_id
    session.add(answer)
    _change(
        session,
        plan,
        author=HEALTH_AUTHOR,
        reason=f"s.21 answer to request {answer.request_id}",
        target=f"provision:{item.item_id}",
        action="create",
        after=item_snapshot(item),
    )


# --- reading --------------------------------------------------------------------------------


def item_snapshot(item: ProvisionItem) -> dict[str, Any]:
    out: dict[str, Any] = {"item_id": item.item_id}
    for name in ITEM_FIELDS:
        value = getattr(item, name)
        out[name] = value.isoformat() if isinstance(value, date) else value
    out["needs_completion"] = item.needs_completion
    out["welsh_delivery_advice"] = item.welsh_delivery_advice
    return out


def flags_of(item: ProvisionItem) -> list[str]:
    return outcome_flags(
        OutcomeText(item.outcome, item.measure, item.baseline, item.target, item.outcome_date)
    )


def flagged_count(items: list[ProvisionItem]) -> int:
    """How many outcomes of a plan are flagged (what managers see per plan)."""
    return sum(1 for i in items if flags_of(i))


async def items_of(session: AsyncSession, idp_id: str) -> list[ProvisionItem]:
    return list(
        (
            await session.exec(
                select(ProvisionItem)
                .where(ProvisionItem.idp_id == idp_id)
                .order_by(col(ProvisionItem.position), col(ProvisionItem.item_id))
            )
        ).all()
    )


async def _counts(uow: UnitOfWork, idp_id: str) -> dict[str, int]:
    """The plan's provision items and how many are to be provided in Welsh (Act s.10), for the
    statutory figures on Welsh-medium provision; counts only, never the provision itself."""
    items = await items_of(uow.session, idp_id)
    return {
        "provision_items": len(items),
        "provision_items_in_welsh": sum(1 for i in items if i.welsh_delivery),
    }


async def unissued_changes(session: AsyncSession, plan: Idp) -> int:
    rows = await session.exec(
        select(IdpChange.id).where(
            IdpChange.idp_id == plan.idp_id, IdpChange.version > plan.version
        )
    )
    return len(rows.all())


async def read_plan(uow: UnitOfWork, *, viewer: Viewer, idp_id: str, lock: bool = False) -> Idp:
    """A plan the viewer may see, its read audited. No such plan and one out of sight get the
    same answer, 403 as the idp contract names it for another school or authority (so a plan's
    existence is never disclosed); the denial is audited."""
    query = select(Idp).where(Idp.idp_id == idp_id)
    plan = (await uow.session.exec(query.with_for_update() if lock else query)).first()
    if plan is None or not viewer.may_see(plan):
        uow.deny(
            resource="idp",
            resource_id=idp_id,
            case_id=plan.case_id if plan else None,
            outcome="not-found-or-out-of-scope",
        )
        raise AccessDenied("idp.access.out-of-scope", idp_id=idp_id)
    uow.audit(action="read", resource="idp", resource_id=idp_id, case_id=plan.case_id)
    return plan


async def writable_plan(uow: UnitOfWork, *, viewer: Viewer, idp_id: str) -> Idp:
    """A plan the viewer maintains, locked for this change; seen but not maintained is a 403
    with the reason; a ceased plan is a 409."""
    plan = await read_plan(uow, viewer=viewer, idp_id=idp_id, lock=True)
    if not viewer.may_write(plan):
        uow.deny(resource="idp", resource_id=idp_id, case_id=plan.case_id, outcome="forbidden")
        raise AccessDenied("idp.access.not-maintainer", maintainer=plan.maintainer)
    if plan.state == IdpState.CEASED:
        raise Conflict("idp.ceased", ceased_on=str(plan.ceased_on))
    return plan


def snapshot(plan: Idp, items: list[ProvisionItem]) -> dict[str, Any]:
    """The plan as issued: what a version freezes and a document shows."""
    return {
        "case_id": plan.case_id,
        "child_ref": plan.child_ref,
        "maintainer": plan.maintainer,
        "authority": plan.authority,
        "content_language": plan.content_language,
        "administration": plan.administration,
        "profile": plan.profile,
        "aln_description": plan.aln_description,
        "provision": [item_snapshot(i) for i in items],
    }


# --- the change log ---------------------------------------------------------------------------


def _change(
    session: AsyncSession,
    plan: Idp,
    *,
    author: str,
    reason: str | None,
    target: str,
    action: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    plan.change_seq += 1
    plan.updated_at = _now()
    session.add(plan)
    session.add(
        IdpChange(
            id=_id(),
            idp_id=plan.idp_id,
            seq=plan.change_seq,
            version=plan.version + 1,
            at=_now(),
            author=author,
            reason=reason,
            target=target,
            action=action,
            before=before,
            after=after,
        )
    )


def _audit_change(uow: UnitOfWork, plan: Idp, purpose: str) -> None:
    uow.audit(
        action="update",
        resource="idp",
        resource_id=plan.idp_id,
        case_id=plan.case_id,
        purpose=purpose,
    )


# --- drafting ---------------------------------------------------------------------------------


async def open_draft(
    uow: UnitOfWork, *, viewer: Viewer, case_id: str, content_language: str, today: date
) -> Idp:
    """A draft for a case the journey says has ALN (Act s.11, s.13: the plan follows the ALN
    decision); the deciding body prepares it. Publishes `IdpDrafted`."""
    case = await uow.session.get(CaseFacts, case_id)
    if case is None or case.owning_authority is None or not viewer.may_see_case(case):
        uow.deny(resource="case", resource_id=case_id, case_id=case_id, outcome="not-found")
        raise NotFound("idp.not-found.case", case_id=case_id)
    if not viewer.may_draft(case):
        uow.deny(resource="case", resource_id=case_id, case_id=case_id, outcome="forbidden")
        raise AccessDenied("idp.access.not-deciding-body", deciding_body=case.deciding_body)
    if case.has_aln is not True:
        raise Conflict("idp.aln-not-decided", case_id=case_id)
    existing = await plan_of_case(uow.session, case_id)
    if existing is not None:
        raise Conflict("idp.exists", extra={"idp_id": existing.idp_id}, case_id=case_id)
    assert case.deciding_body is not None
    maintainer = maintainer_for(
        deciding_body=case.deciding_body,
        authority=case.owning_authority,
        school_ref=case.school_ref,
        institution=case.institution,
    )
    now = _now()
    plan = Idp(
        idp_id=_id(),
        case_id=case_id,
        child_ref=case.child_ref,
        maintainer=maintainer.body,
        maintainer_reason=maintainer.reason,
        authority=maintainer.authority,
        deciding_body=case.deciding_body,
        content_language=content_language,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(plan)
    await uow.session.flush()
    pending = await uow.session.exec(
        select(HealthAnswer).where(
            HealthAnswer.case_id == case_id, col(HealthAnswer.item_id).is_(None)
        )
    )
    for answer in pending.all():
        await _write_in_health_answer(uow.session, plan, answer)
    uow.audit(action="create", resource="idp", resource_id=plan.idp_id, case_id=case_id)
    uow.add_event(
        IdpDrafted(case_id=case_id, idp_id=plan.idp_id, on=today),
        event_id=f"idp-{plan.idp_id}-drafted",
        subject=case_id,
    )
    return plan


def _section_errors(section: Section, content: dict[str, Any]) -> list[FieldError]:
    allowed = SECTION_FIELDS[section]
    errors = [FieldError(f"content.{k}", "idp.unknown-field") for k in content if k not in allowed]
    for name, value in content.items():
        if name == "contacts":
            if not isinstance(value, list) or not all(isinstance(c, dict) for c in value):
                errors.append(FieldError("content.contacts", "list-expected"))
        elif name == "content_language":
            if value not in ("cy", "en", "both"):
                errors.append(FieldError("content.content_language", "enum"))
        elif value is not None and not isinstance(value, str):
            errors.append(FieldError(f"content.{name}", "string-type"))
        elif isinstance(value, str) and len(value) > 20_000:
            errors.append(FieldError(f"content.{name}", "string-too-long"))
    return errors


SECTION_ATTR = {
    Section.PROFILE: "profile",
    Section.ALN_DESCRIPTION: "aln_description",
    Section.ADMINISTRATION: "administration",
}


async def update_section(
    uow: UnitOfWork,
    *,
    viewer: Viewer,
    idp_id: str,
    section: Section,
    content: dict[str, Any],
    reason: str | None,
) -> Idp:
    if errors := _section_errors(section, content):
        raise Invalid(*errors)
    plan = await writable_plan(uow, viewer=viewer, idp_id=idp_id)
    attr = SECTION_ATTR[section]
    before = dict(getattr(plan, attr))
    after = {k: v for k, v in content.items() if k != "content_language"}
    if section is Section.ADMINISTRATION and content.get("content_language"):
        plan.content_language = str(content["content_language"])
        after["content_language"] = plan.content_language
    setattr(plan, attr, after)
    _change(
        uow.session,
        plan,
        author=viewer.principal.subject,
        reason=reason,
        target=section.value,
        action="update",
        before=before,
        after=after,
    )
    _audit_change(uow, plan, f"PUT section {section.value}")
    return plan


async def _next_position(session: AsyncSession, idp_id: str) -> int:
    items = await items_of(session, idp_id)
    return max((i.position for i in items), default=-1) + 1


async def add_item(
    uow: UnitOfWork, *, viewer: Viewer, idp_id: str, body: ProvisionCreate
) -> ProvisionItem:
    plan = await writable_plan(uow, viewer=viewer, idp_id=idp_id)
    now = _now()
    item = ProvisionItem(
        item_id=_id(),
        idp_id=idp_id,
        position=await _next_position(uow.session, idp_id),
        created_at=now,
        updated_at=now,
        **body.model_dump(include=set(ITEM_FIELDS)),
    )
    uow.session.add(item)
    _change(
        uow.session,
        plan,
        author=viewer.principal.subject,
        reason=body.reason,
        target=f"provision:{item.item_id}",
        action="create",
        after=item_snapshot(item),
    )
    _audit_change(uow, plan, "POST provision")
    return item


async def _item(uow: UnitOfWork, plan: Idp, item_id: str) -> ProvisionItem:
    item = await uow.session.get(ProvisionItem, item_id)
    if item is None or item.idp_id != plan.idp_id:
        raise NotFound("idp.not-found.provision", item_id=item_id)
    return item


async def update_item(
    uow: UnitOfWork, *, viewer: Viewer, idp_id: str, item_id: str, body: ProvisionCreate
) -> ProvisionItem:
    """The whole item, rewritten; completing an item written in from a health answer."""
    plan = await writable_plan(uow, viewer=viewer, idp_id=idp_id)
    item = await _item(uow, plan, item_id)
    before = item_snapshot(item)
    for name, value in body.model_dump(include=set(ITEM_FIELDS)).items():
        setattr(item, name, value)
    item.needs_completion = False
    item.updated_at = _now()
    uow.session.add(item)
    _change(
        uow.session,
        plan,
        author=viewer.principal.subject,
        reason=body.reason,
        target=f"provision:{item_id}",
        action="update",
        before=before,
        after=item_snapshot(item),
    )
    _audit_change(uow, plan, "PUT provision")
    return item


async def delete_item(
    uow: UnitOfWork, *, viewer: Viewer, idp_id: str, item_id: str, reason: str | None
) -> None:
    plan = await writable_plan(uow, viewer=viewer, idp_id=idp_id)
    item = await _item(uow, plan, item_id)
    before = item_snapshot(item)
    await uow.session.delete(item)
    _change(
        uow.session,
        plan,
        author=viewer.principal.subject,
        reason=reason,
        target=f"provision:{item_id}",
        action="delete",
        before=before,
    )
    _audit_change(uow, plan, "DELETE provision")


# --- issuing ----------------------------------------------------------------------------------


def issue_errors(plan: Idp, items: list[ProvisionItem]) -> list[FieldError]:
    """What an issue lacks: the description of the ALN and at least one provision item
    (Act s.10), each item an author has completed (s.21(4) items start incomplete)."""
    errors = []
    if not str(plan.aln_description.get("description") or "").strip():
        errors.append(FieldError("aln_description", "idp.required-to-issue"))
    if not items:
        errors.append(FieldError("provision", "idp.required-to-issue"))
    errors += [
        FieldError(f"provision.{i.item_id}", "idp.item-incomplete")
        for i in items
        if i.needs_completion
    ]
    return errors


async def _freeze(
    uow: UnitOfWork, plan: Idp, *, on: date, reason: str | None
) -> tuple[IdpVersion, int]:
    items = await items_of(uow.session, plan.idp_id)
    if errors := issue_errors(plan, items):
        raise Invalid(*errors)
    plan.version += 1
    plan.first_issued_on = plan.first_issued_on or on
    plan.last_issued_on = on
    plan.updated_at = _now()
    version = IdpVersion(
        idp_id=plan.idp_id,
        version=plan.version,
        issued_on=on,
        issued_by=uow.principal.subject,
        reason=reason,
        content=snapshot(plan, items),
        flagged_outcomes=flagged_count(items),
        created_at=_now(),
    )
    uow.session.add(version)
    uow.session.add(plan)
    return version, plan.version


def _not_in_future(field: str, on: date, today: date) -> None:
    if on > today:
        raise Invalid(FieldError(field, "idp.date-in-future"))


async def issue(
    uow: UnitOfWork,
    *,
    viewer: Viewer,
    idp_id: str,
    issued_on: date | None,
    reason: str | None,
    today: date,
) -> IdpVersion:
    """Freeze the working copy as the next version and publish `IdpIssued`: the journey meets
    the decision clock on the issue date and starts `idp-review` (Act ss.22-24)."""
    on = issued_on or today
    _not_in_future("issued_on", on, today)
    plan = await writable_plan(uow, viewer=viewer, idp_id=idp_id)
    if plan.state == IdpState.ACTIVE and not await unissued_changes(uow.session, plan):
        raise Conflict("idp.nothing-to-issue", version=plan.version)
    version, n = await _freeze(uow, plan, on=on, reason=reason)
    first = plan.state == IdpState.DRAFT
    plan.state = IdpState.ACTIVE
    if first:
        plan.review_due = review_due(on)  # until the journey's own clock arrives
    uow.audit(
        action="command",
        resource="idp",
        resource_id=idp_id,
        case_id=plan.case_id,
        purpose=f"issue version {n}",
    )
    uow.add_event(
        IdpIssuedV2(case_id=plan.case_id, idp_id=idp_id, on=on, **await _counts(uow, idp_id)),
        event_id=f"idp-{idp_id}-issued-{n}",
        subject=plan.case_id,
    )
    return version


async def read_version(uow: UnitOfWork, *, viewer: Viewer, idp_id: str, n: int) -> IdpVersion:
    plan = await read_plan(uow, viewer=viewer, idp_id=idp_id)
    version = await uow.session.get(IdpVersion, (plan.idp_id, n))
    if version is None:
        raise NotFound("idp.not-found.version", idp_id=idp_id, version=n)
    uow.audit(
        action="read",
        resource="idp-version",
        resource_id=f"{idp_id}/{n}",
        case_id=plan.case_id,
    )
    return version


async def version_changes(session: AsyncSession, idp_id: str, n: int) -> list[IdpChange]:
    return list(
        (
            await session.exec(
                select(IdpChange)
                .where(IdpChange.idp_id == idp_id, IdpChange.version == n)
                .order_by(col(IdpChange.seq))
            )
        ).all()
    )


# --- active plans: reviews, transfers, ceasing ------------------------------------------------


def _require_active(plan: Idp) -> None:
    if plan.state != IdpState.ACTIVE:
        raise Conflict("idp.not-active", state=plan.state)


def _record(uow: UnitOfWork, plan: Idp, kind: str, on: date, detail: dict[str, Any]) -> str:
    record = IdpEventRecord(
        id=_id(),
        idp_id=plan.idp_id,
        kind=kind,
        on=on,
        by=uow.principal.subject,
        detail=detail,
        created_at=_now(),
    )
    uow.session.add(record)
    uow.audit(
        action="command",
        resource="idp",
        resource_id=plan.idp_id,
        case_id=plan.case_id,
        purpose=kind,
    )
    return record.id


async def review(
    uow: UnitOfWork,
    *,
    viewer: Viewer,
    idp_id: str,
    held_on: date,
    revised: bool,
    changes: str | None,
    today: date,
) -> Idp:
    """A review held (Act ss.23-24). A revised plan is frozen as the next version, given on the
    day of the review; `IdpReviewed` meets the review clock and starts the next period."""
    _not_in_future("held_on", held_on, today)
    plan = await writable_plan(uow, viewer=viewer, idp_id=idp_id)
    _require_active(plan)
    if revised:
        if not await unissued_changes(uow.session, plan):
            raise Invalid(FieldError("revised", "idp.no-changes-to-revise"))
        await _freeze(uow, plan, on=held_on, reason=changes)
    plan.review_at_risk = False
    plan.review_due = review_due(held_on)  # until the journey's next clock arrives
    record_id = _record(
        uow,
        plan,
        "review",
        held_on,
        {"revised": revised, "changes": changes, "version": plan.version},
    )
    uow.add_event(
        IdpReviewedV2(
            case_id=plan.case_id,
            idp_id=idp_id,
            on=held_on,
            revised=revised,
            **await _counts(uow, idp_id),
        ),
        event_id=f"idp-{idp_id}-review-{record_id}",
        subject=plan.case_id,
    )
    return plan


async def transfer(
    uow: UnitOfWork,
    *,
    viewer: Viewer,
    idp_id: str,
    to_body: str,
    on: date,
    left_on: date | None,
    registered_on: date | None,
    reason: str | None,
    today: date,
) -> Idp:
    """The plan follows the learner (Act s.35; the old body sends it on, Regs reg 15): the
    maintaining body changes and the receiving body gets the plan."""
    _not_in_future("on", on, today)
    plan = await writable_plan(uow, viewer=viewer, idp_id=idp_id)
    _require_active(plan)
    if to_body == plan.maintainer:
        raise Invalid(FieldError("to_body", "idp.same-body"))
    if not transfer_carries_plan(left_on, registered_on):
        # s.35(2)-(4): registered after the end of September, the plan does not carry over.
        raise Conflict(
            "idp.transfer-after-september",
            left_on=str(left_on),
            registered_on=str(registered_on),
        )
    previous = plan.maintainer
    plan.maintainer = to_body
    plan.maintainer_reason = "transferred-s35"
    if to_body.startswith("la:"):
        plan.authority = to_body.removeprefix("la:")
    plan.updated_at = _now()
    uow.session.add(plan)
    record_id = _record(
        uow,
        plan,
        "transfer",
        on,
        {
            "from": previous,
            "to": to_body,
            "left_on": left_on and left_on.isoformat(),
            "registered_on": registered_on and registered_on.isoformat(),
            "reason": reason,
        },
    )
    uow.add_event(
        IdpTransferred(case_id=plan.case_id, idp_id=idp_id, on=on, to_body=to_body),
        event_id=f"idp-{idp_id}-transfer-{record_id}",
        subject=plan.case_id,
    )
    return plan


async def propose_cease(
    uow: UnitOfWork,
    *,
    viewer: Viewer,
    idp_id: str,
    reason: str,
    detail: str,
    proposed_on: date,
    today: date,
) -> Idp:
    """Act s.31: the proposed decision first, with its reason."""
    _not_in_future("proposed_on", proposed_on, today)
    plan = await writable_plan(uow, viewer=viewer, idp_id=idp_id)
    _require_active(plan)
    if plan.cease_proposed_on is not None:
        raise Conflict("idp.cease-already-proposed", proposed_on=str(plan.cease_proposed_on))
    plan.cease_proposed_on, plan.cease_reason, plan.cease_detail = proposed_on, reason, detail
    plan.updated_at = _now()
    uow.session.add(plan)
    _record(uow, plan, "cease-proposal", proposed_on, {"reason": reason, "detail": detail})
    return plan


async def decide_cease(
    uow: UnitOfWork,
    *,
    viewer: Viewer,
    idp_id: str,
    decision: str,
    decided_on: date,
    reasons: str,
    today: date,
) -> Idp:
    """Act s.31: the decision, with reasons, after a proposal. Ceasing publishes `IdpCeased`
    (the journey runs the reconsideration or appeal window); keeping the plan ends the
    proposal."""
    _not_in_future("decided_on", decided_on, today)
    plan = await writable_plan(uow, viewer=viewer, idp_id=idp_id)
    _require_active(plan)
    if plan.cease_proposed_on is None or plan.cease_reason is None:
        raise Conflict("idp.no-cease-proposal", idp_id=idp_id)
    if decided_on < plan.cease_proposed_on:
        raise Invalid(FieldError("decided_on", "idp.before-proposal"))
    reason = plan.cease_reason
    _record(uow, plan, "cease-decision", decided_on, {"decision": decision, "reasons": reasons})
    if decision == "continue":
        plan.cease_proposed_on = plan.cease_reason = plan.cease_detail = None
    else:
        plan.state, plan.ceased_on = IdpState.CEASED, decided_on
        uow.add_event(
            IdpCeased(case_id=plan.case_id, idp_id=idp_id, on=decided_on, reason=reason),
            event_id=f"idp-{idp_id}-ceased",
            subject=plan.case_id,
        )
    plan.updated_at = _now()
    uow.session.add(plan)
    return plan


# --- the maintaining body's list --------------------------------------------------------------


@dataclass(frozen=True)
class ListFilter:
    maintainer: str | None = None
    review_due_before: date | None = None
    case_id: str | None = None


async def list_plans(
    session: AsyncSession, *, viewer: Viewer, filters: ListFilter, limit: int = 200
) -> list[tuple[Idp, int]]:
    """The plans the viewer may see, soonest review first; every one listed is audited."""
    query = select(Idp)
    if viewer.kind == "la":
        query = query.where(col(Idp.authority).in_(sorted(viewer.authorities)))
    else:
        query = query.where(col(Idp.maintainer).in_(sorted(viewer.bodies)))
    if filters.maintainer:
        query = query.where(Idp.maintainer == filters.maintainer)
    if filters.case_id:
        query = query.where(Idp.case_id == filters.case_id)
    if filters.review_due_before:
        query = query.where(
            (col(Idp.review_due) < filters.review_due_before) | col(Idp.review_at_risk)
        ).where(Idp.state == IdpState.ACTIVE)
    query = query.order_by(col(Idp.review_due).nulls_last(), col(Idp.idp_id)).limit(limit)
    plans = list((await session.exec(query)).all())
    out = []
    for plan in plans:
        out.append((plan, flagged_count(await items_of(session, plan.idp_id))))
        audit(
            session,
            viewer.principal,
            action="read",
            resource="idp",
            resource_id=plan.idp_id,
            case_id=plan.case_id,
            purpose="GET /api/v1/idps (list)",
        )
    return out
