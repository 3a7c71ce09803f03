"""The unit of work on fakes: what it writes through one session, and a refused access that is
still on record when the request fails (in a transaction of its own)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any, cast

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from llwybr_common.audit import AuditRecord
from llwybr_common.auth import Principal
from llwybr_common.errors import AccessDenied
from llwybr_common.outbox import OutboxMessage
from llwybr_common.unit_of_work import unit_of_work
from llwybr_contracts.events import ConsentRecorded

pytestmark = pytest.mark.unit

OFFICER = Principal("officer-1", frozenset({"la-officer"}), (("la", "W06000015"),))


@dataclass
class FakeSession:
    added: list[Any] = field(default_factory=list)
    committed: bool = False

    def add(self, row: Any) -> None:
        self.added.append(row)


@dataclass
class FakeRuntime:
    """Sessions that commit when their block ends cleanly and discard their rows otherwise."""

    source: str = "/llwybr/test"
    sessions: list[FakeSession] = field(default_factory=list)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        session = FakeSession()
        self.sessions.append(session)
        yield cast(AsyncSession, session)
        session.committed = True

    def committed(self) -> list[Any]:
        return [row for s in self.sessions if s.committed for row in s.added]


async def test_audit_and_events_are_written_through_the_one_session() -> None:
    rt = FakeRuntime()
    async with unit_of_work(rt, OFFICER, purpose="POST consent") as uow:
        uow.audit(action="command", resource="case", resource_id="c-1", case_id="c-1")
        event = ConsentRecorded(case_id="c-1", answer="given", given_on=date(2026, 11, 20))
        uow.add_event(event, event_id="e-1", subject="c-1")
    (session,) = rt.sessions
    audit, outbox = session.added
    assert isinstance(audit, AuditRecord) and isinstance(outbox, OutboxMessage)
    assert (audit.actor, audit.purpose) == ("officer-1", "POST consent")
    assert outbox.envelope["source"] == "/llwybr/test" and outbox.key == "c-1"


async def test_a_denial_is_recorded_even_though_the_request_fails() -> None:
    rt = FakeRuntime()
    with pytest.raises(AccessDenied):
        async with unit_of_work(rt, OFFICER, purpose="read case") as uow:
            uow.session.add("a change that must not be kept")
            uow.deny(resource="case", resource_id="c-2", case_id="c-2")
            raise AccessDenied("access.case-scope")
    (denied,) = rt.committed()
    assert isinstance(denied, AuditRecord)
    assert (denied.action, denied.outcome, denied.resource_id) == ("denied", "forbidden", "c-2")
    assert len(rt.sessions) == 2, "the denial has a transaction of its own"


async def test_a_denial_in_a_request_that_succeeds_commits_with_it() -> None:
    rt = FakeRuntime()
    async with unit_of_work(rt, OFFICER, purpose="list") as uow:
        uow.deny(resource="case", resource_id="c-3")
    (session,) = rt.sessions
    assert [r.action for r in session.added] == ["denied"] and session.committed
