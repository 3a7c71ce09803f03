"""Service-tier fixtures: the health-liaison service on real PostgreSQL (a fresh schema per
test, from the `infra` fixture) with FastStream's TestKafkaBroker in place of Kafka."""

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import pytest_asyncio
from sqlmodel.ext.asyncio.session import AsyncSession

import health_liaison
from health_liaison.consumers import consumers
from health_liaison.http import ROUTERS
from llwybr.stack import Endpoints
from llwybr_common.db import session_scope
from llwybr_contracts import topics
from tests import service_kit

MIGRATIONS = Path(health_liaison.__file__).parent / "migrations"
CARDIFF, CARDIFF_AND_VALE = "W06000015", "W11000029"
SWANSEA, SWANSEA_BAY = "W06000011", "W11000031"


class Desk(service_kit.Desk):
    def declo(self, board: str = CARDIFF_AND_VALE) -> dict[str, str]:
        return self.token(["declo"], [f"board:{board}"], subject=f"declo-{board}")

    def la_officer(self, authority: str = CARDIFF) -> dict[str, str]:
        return self.token(["la-officer"], [f"la:{authority}"], subject=f"officer-{authority}")

    async def session(self) -> AsyncIterator[AsyncSession]:
        async with session_scope(self.rt.engine) as s:
            yield s


def open_desk(infra: Endpoints, home: Path) -> AbstractAsyncContextManager[Desk]:
    """The service on a fresh schema under `home`; a module may keep one for all its tests."""
    return service_kit.open_kafka_desk(
        infra, home, service="health-liaison", schema_prefix="hl", migrations=MIGRATIONS,
        routers=ROUTERS, consumers=consumers, publishes_to=topics.HEALTH, desk=Desk,
    )  # fmt: skip


@pytest_asyncio.fixture(loop_scope="session")
async def desk(infra: Endpoints, tmp_path: Path) -> AsyncIterator[Desk]:
    async with open_desk(infra, tmp_path) as opened:
        yield opened
