"""The handoffs' `HandoffWatch` workflows on the journey worker (Temporal owns the timer; only
the journey worker publishes on the journey topic). Started after a handoff commits, answered
after it is accepted, declined or ended by a consent withdrawal.

Best effort after the commit, as referral starts a journey: Temporal unreachable is logged
(handoff ids only) and the request still succeeds, the handoff being recorded; its lateness
then shows only in the inbox (`accept_by`), with no alert."""

import asyncio
import logging
from collections.abc import Iterable

from temporalio.client import Client

from llwybr_common.journey import answer_handoff_watch, start_handoff_watch
from llwybr_common.settings import Settings
from llwybr_common.temporal_client import connect_temporal
from llwybr_contracts.journey import HandoffWatchInput

log = logging.getLogger(__name__)
CONNECT_SECONDS = 5.0


class HandoffWatches:
    def __init__(self, settings: Settings, client: Client | None = None) -> None:
        self._settings = settings
        self._client = client

    async def _connected(self) -> Client:
        if self._client is None:
            self._client = await asyncio.wait_for(
                connect_temporal(self._settings), timeout=CONNECT_SECONDS
            )
        return self._client

    async def started(self, watch: HandoffWatchInput) -> None:
        try:
            await start_handoff_watch(await self._connected(), watch)
        except Exception as exc:  # the handoff is committed: never fail the request
            log.warning("handoff watch %s not started: %s", watch.handoff_id, type(exc).__name__)

    async def answered(self, handoff_ids: Iterable[str]) -> None:
        for handoff_id in handoff_ids:
            try:
                await answer_handoff_watch(await self._connected(), handoff_id)
            except Exception as exc:
                log.warning("handoff watch %s not answered: %s", handoff_id, type(exc).__name__)
