"""A command on a case: the caller may act on it, what this service owns is written, the
journey accepts it (a Temporal update, whose validator may refuse) and all of it commits
together, or nothing does."""

from collections.abc import Awaitable, Callable, Sequence
from datetime import date

from pydantic import BaseModel

from llwybr_common.auth import Principal
from llwybr_common.errors import Conflict, FieldError, Invalid
from llwybr_common.unit_of_work import Transactions, UnitOfWork, unit_of_work
from llwybr_contracts import date_bounds
from llwybr_contracts.states import CaseState
from referral import access, service
from referral.journey_client import Journey
from referral.models import Case
from referral.schemas import CommandPublic

Payload = BaseModel | Callable[[Case], BaseModel]
After = Callable[[UnitOfWork, Case], Awaitable[None]]


async def run_command(
    rt: Transactions,
    journey: Journey,
    principal: Principal,
    case_id: str,
    *,
    update: str,
    payload: Payload,
    note: str | None,
    subject_id: str | None = None,
    after: After | None = None,
    dates: Sequence[tuple[str, date | None]] = (),
    planned: Sequence[str] = (),
    today: date | None = None,
) -> CommandPublic:
    """`dates`: the dates the caller entered, by their JSON field names, checked against the
    case once the caller may act on it (docs/rules.md, "Dates that cannot be"): not before the
    learner's birth or the referral, not after `today` unless the field is `planned`."""
    async with unit_of_work(rt, principal, purpose=update) as uow:
        action = access.ACTION_OF_UPDATE[update]
        case, child = await service.load_case(uow, case_id, action=action)
        if dates:
            referred_on = await service.referred_on(uow.session, case_id)
            problems = date_bounds.case_date_problems(
                dates,
                today=today,
                referred_on=referred_on,
                born=child.date_of_birth,
                planned=planned,
            )
            if problems:
                raise Invalid(
                    *(FieldError(p.field, f"dates.{p.code}", p.params()) for p in problems)
                )
        if case.state == CaseState.CLOSED.value and case.first_rule is None and not case.next_rule:
            # Closed at intake (a young person refused consent): no journey was ever started.
            raise Conflict("case-closed", case_id=case_id)
        # One command on a case at a time, and what this service owns is written before the
        # journey is asked: if the journey refuses, this transaction rolls back and nothing is
        # kept; if writing fails, the journey was never asked. Only a commit failing after the
        # journey accepted could part them, and the journey's own events still tell the step.
        await service.lock_case(uow.session, case_id)
        await service.add_note(
            uow.session,
            case_id=case_id,
            command=update,
            text_=note,
            principal=principal,
            subject_id=subject_id,
        )
        if after is not None:
            await after(uow, case)
        uow.audit(action="command", resource="case", resource_id=case_id, case_id=case_id)
        await uow.session.flush()  # a write that fails, fails here, before the journey moves
        accepted = await journey.send_command(
            case_id=case_id,
            update=update,
            payload=payload if isinstance(payload, BaseModel) else payload(case),
        )
    return CommandPublic(
        case_id=case_id,
        accepted=accepted.accepted,
        state=accepted.state.value,
        detail=accepted.detail,
        request_id=subject_id,
    )
