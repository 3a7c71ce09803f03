"""Service-tier fixtures: the idp service on real PostgreSQL (a fresh schema per test, from the
`infra` fixture) with FastStream's TestKafkaBroker in place of Kafka, and the case made ready
for a plan by the events referral and the journey publish."""

import uuid
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from datetime import date
from pathlib import Path
from typing import Any

import pytest_asyncio

import idp
from idp.consumers import consumers
from idp.http import ROUTERS
from llwybr.stack import Endpoints
from llwybr_contracts import topics
from llwybr_contracts.events import AlnDecided, CaseOpened
from llwybr_contracts.states import CaseState, DecidingBody
from tests import service_kit

MIGRATIONS = Path(idp.__file__).parent / "migrations"
CARDIFF, SWANSEA = "W06000015", "W06000011"
SCHOOL, OTHER_SCHOOL = "6812345", "6899999"
TODAY = date(2026, 11, 27)


class Desk(service_kit.Desk):
    def officer(self, authority: str = CARDIFF) -> dict[str, str]:
        return self.token(["la-officer"], [f"la:{authority}"], subject=f"officer-{authority}")

    def alnco(self, school: str = SCHOOL) -> dict[str, str]:
        return self.token(["school-alnco"], [f"school:{school}"], subject=f"alnco-{school}")

    def events(self, name: str) -> list[dict[str, Any]]:
        kebab = {
            "IdpDrafted": "idp-drafted",
            "IdpIssued": "idp-issued",
            "IdpReviewed": "idp-reviewed",
            "IdpTransferred": "idp-transferred",
            "IdpCeased": "idp-ceased",
        }[name]
        # any version: IdpIssued and IdpReviewed are published as version 2
        return [
            e for e in self.published if e["type"].rsplit(".", 1)[0] == f"wales.aln.idp.{kebab}"
        ]

    async def decided_case(
        self,
        *,
        deciding_body: DecidingBody = DecidingBody.LOCAL_AUTHORITY,
        authority: str = CARDIFF,
        school_ref: str | None = SCHOOL,
        has_aln: bool = True,
    ) -> str:
        """A case as referral opened it and the journey decided it."""
        case_id = f"case-{uuid.uuid4().hex[:12]}"
        await self.publish(
            CaseOpened(
                case_id=case_id,
                child_ref=f"child-{uuid.uuid4().hex[:8]}",
                authority=authority,
                received_on=date(2026, 9, 14),
                state=CaseState.DECISION_PENDING,
                deciding_body=deciding_body,
                deciding_authority=authority
                if deciding_body == DecidingBody.LOCAL_AUTHORITY
                else None,
                school_ref=school_ref,
            ),
            case_id=case_id,
        )
        await self.publish(
            AlnDecided(
                case_id=case_id,
                has_aln=has_aln,
                deciding_body=deciding_body,
                decided_on=date(2026, 11, 2),
            ),
            case_id=case_id,
        )
        return case_id


def open_desk(infra: Endpoints, home: Path) -> AbstractAsyncContextManager[Desk]:
    """The service on a fresh schema under `home`; a module may keep one for all its tests."""
    return service_kit.open_kafka_desk(
        infra, home, service="idp", schema_prefix="idp", migrations=MIGRATIONS, routers=ROUTERS,
        consumers=consumers, publishes_to=topics.IDP, today=TODAY, desk=Desk,
    )  # fmt: skip


@pytest_asyncio.fixture(loop_scope="session")
async def desk(infra: Endpoints, tmp_path: Path) -> AsyncIterator[Desk]:
    async with open_desk(infra, tmp_path) as opened:
        yield opened
