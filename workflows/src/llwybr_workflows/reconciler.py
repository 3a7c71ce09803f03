"""The journey reconciler: every few seconds, ask the referral service for the open cases of
the last days and start any journey that is missing.

The fast path (referral, after commit) and the reliable path (the bridge, from `CaseOpened`)
both fail when Temporal is down; the bridge waits and retries, but a `CaseOpened` that was lost
or dead-lettered would leave a case with no journey and no clock. This pass needs no event: a
start is idempotent by workflow id (`case-<id>`), so a journey that exists, running or finished,
is left alone.
"""

import asyncio
import logging
from dataclasses import dataclass
from datetime import date, timedelta

from temporalio.client import Client

from llwybr_common.dependencies import unavailable_dependency
from llwybr_common.journey import start_journey
from llwybr_workflows.case_directory import CaseDirectory

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reconciled:
    checked: int
    started: int


async def reconcile_once(
    temporal: Client, directory: CaseDirectory, *, opened_since: date
) -> Reconciled:
    checked = started = 0
    async for journey in directory.open_journey_inputs(opened_since):
        checked += 1
        if await start_journey(temporal, journey):
            started += 1
            log.warning("started a missing journey", extra={"case_id": journey.case_id})
    return Reconciled(checked, started)


async def run_reconciler(
    temporal: Client, directory: CaseDirectory, *, every_seconds: float, lookback_days: int
) -> None:
    while True:
        since = date.today() - timedelta(days=lookback_days)
        try:
            done = await reconcile_once(temporal, directory, opened_since=since)
            if done.started:
                log.info(
                    "reconciler pass", extra={"checked": done.checked, "started": done.started}
                )
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            # The next pass tries again; the error's text may quote values, its kind may not.
            log.warning(
                "reconciler pass did not finish",
                extra={"error": type(exc).__name__, "dependency": unavailable_dependency(exc)},
            )
        await asyncio.sleep(every_seconds)
