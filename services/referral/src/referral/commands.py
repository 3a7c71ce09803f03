"""A command on a case: the caller may act on it, what this service owns is written, the
journey accepts it (a Temporal update, whose validator may refuse) and all of it commits
together, or nothing does."""

from collections.abc import Awaitable, Callable

from pydantic import BaseModel

from llwybr_common.auth import Principal
from llwybr_common.errors import Conflict
from llwybr_common.unit_of_work import Transactions, UnitOfWork, unit_of_work
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
) -> CommandPublic:
    async with unit_of_work(rt, principal, purpose=update) as uow:
        action = access.ACTION_OF_UPDATE[update]
        case, _ = await service.load_case(uow, case_id, action=action)
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
