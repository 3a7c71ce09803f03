"""One unit of work per request: the transaction, its audit records and its outbox rows.

    async with unit_of_work(rt, principal, purpose="POST /api/v1/referrals") as uow:
        case = await service.open_case(uow, ...)   # raises DomainErrors, never HTTP errors
        uow.audit(action="create", resource="case", resource_id=case.id, case_id=case.id)

Everything written through `uow.session`, `uow.audit` and `uow.add_event` commits together or
not at all, and the relay is woken after the commit (`Runtime.session`). A refusal the law
asks us to record (a denied read of a learner's record) is `uow.deny(...)`: it is written even
when the request then fails, in a transaction of its own after the failed one rolls back.
"""

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Protocol

from sqlmodel.ext.asyncio.session import AsyncSession

from llwybr_common.audit import AuditRecord, audit
from llwybr_common.auth import Principal
from llwybr_common.outbox import OutboxMessage, add_event
from llwybr_contracts.events import Event


class Transactions(Protocol):
    """What a unit of work needs of the running service (a `Runtime`)."""

    @property
    def source(self) -> str: ...

    def session(self) -> AbstractAsyncContextManager[AsyncSession]: ...


@dataclass(frozen=True)
class Denial:
    resource: str
    resource_id: str
    case_id: str | None
    outcome: str


@dataclass
class UnitOfWork:
    session: AsyncSession
    principal: Principal
    source: str  # CloudEvents source of this service's events
    purpose: str  # why: the endpoint or command, in every audit record
    denials: list[Denial] = field(default_factory=list)

    def audit(
        self,
        *,
        action: str,
        resource: str,
        resource_id: str,
        case_id: str | None = None,
        purpose: str | None = None,
        outcome: str = "ok",
    ) -> AuditRecord:
        return audit(
            self.session,
            self.principal,
            action=action,
            resource=resource,
            resource_id=resource_id,
            case_id=case_id,
            purpose=purpose or self.purpose,
            outcome=outcome,
        )

    def add_event(self, event: Event, *, event_id: str, subject: str) -> OutboxMessage:
        """Stage an event; it leaves only if the unit of work commits."""
        return add_event(
            self.session, event, event_id=event_id, source=self.source, subject=subject
        )

    def deny(
        self,
        *,
        resource: str,
        resource_id: str,
        case_id: str | None = None,
        outcome: str = "forbidden",
    ) -> None:
        """Record a refused access; it is audited whether or not this unit of work commits."""
        self.denials.append(Denial(resource, resource_id, case_id, outcome))

    def _write_denials(self, session: AsyncSession) -> None:
        for d in self.denials:
            audit(
                session,
                self.principal,
                action="denied",
                resource=d.resource,
                resource_id=d.resource_id,
                case_id=d.case_id,
                purpose=self.purpose,
                outcome=d.outcome,
            )
        self.denials.clear()


@asynccontextmanager
async def unit_of_work(
    rt: Transactions, principal: Principal, *, purpose: str
) -> AsyncIterator[UnitOfWork]:
    uow: UnitOfWork | None = None
    try:
        async with rt.session() as session:
            uow = UnitOfWork(session, principal, rt.source, purpose)
            yield uow
            uow._write_denials(session)
    except BaseException:
        if uow is not None and uow.denials:
            # The failed transaction rolled back; the denial still has to be on record.
            async with rt.session() as session:
                uow._write_denials(session)
        raise
