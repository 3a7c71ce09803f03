"""Forged events start nothing on the running stack: a `CaseOpened` nobody signed, and one
signed with the referral service's own key for a case the referral service does not have, both
go to `aln.referral.v1.dlq` with the reason, and no journey exists for either."""

import json
import uuid
from datetime import date

import pytest
from aiokafka import AIOKafkaProducer
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from llwybr.dead_letters import DeadLetter, read_dead_letters
from llwybr.stack import Stack
from llwybr_common.event_signing import load_signer, private_key_path
from llwybr_contracts import topics
from llwybr_contracts.envelope import wrap
from llwybr_contracts.events import CaseOpened
from llwybr_contracts.states import CaseState
from llwybr_contracts.temporal import journey_workflow_id
from tests.integration.helpers import eventually

pytestmark = pytest.mark.system


async def test_forged_case_opened_starts_no_journey(running: Stack) -> None:
    assert running.endpoints is not None
    kafka, temporal = running.endpoints.kafka, running.endpoints.temporal
    unsigned_case, stolen_key_case = str(uuid.uuid4()), str(uuid.uuid4())
    referral_key = load_signer(
        private_key_path(running.home / "keys" / "events", "referral"), "referral"
    )

    def forged(case_id: str) -> dict[str, object]:
        event = CaseOpened(
            case_id=case_id,
            child_ref="ch-forged",
            authority="W06000015",
            received_on=date(2026, 11, 16),
            state=CaseState.DECISION_PENDING,
        )
        ce = wrap(event, event_id=str(uuid.uuid4()), source="/llwybr/referral", subject=case_id)
        return ce.model_dump(mode="json")

    producer = AIOKafkaProducer(bootstrap_servers=kafka)
    await producer.start()
    try:
        for case_id, value in (
            (unsigned_case, forged(unsigned_case)),
            (stolen_key_case, referral_key.sign(forged(stolen_key_case))),
        ):
            await producer.send_and_wait(
                topics.REFERRAL, json.dumps(value).encode(), key=case_id.encode()
            )
    finally:
        await producer.stop()

    async def ours() -> dict[str, DeadLetter]:
        letters = await read_dead_letters(kafka, topics.REFERRAL)
        # Every consumer group of the topic dead-letters it (idp reads referral events too);
        # this test is about the bridge, which would start the journey.
        bridge = [d for d in letters if d.group == "journey-bridge"]
        by_case = {(d.envelope() or {}).get("subject"): d for d in bridge}
        return {c: d for c, d in by_case.items() if c in (unsigned_case, stolen_key_case)}

    dead = await eventually(ours, lambda d: len(d) == 2, within=60, every=1)
    assert dead[unsigned_case].error == "SignatureError: unsigned event: no llwybrsig attribute"
    assert dead[unsigned_case].group == "journey-bridge"
    assert dead[stolen_key_case].error == (
        "EventRejected: the referral service has no case with this id"
    )

    client = await Client.connect(temporal)
    for case_id in (unsigned_case, stolen_key_case):
        with pytest.raises(RPCError) as missing:
            await client.get_workflow_handle(journey_workflow_id(case_id)).describe()
        assert missing.value.status == RPCStatusCode.NOT_FOUND
