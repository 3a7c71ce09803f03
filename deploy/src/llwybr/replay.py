"""Re-send retained outbox events of every service and of the journey.

The dev broker keeps nothing across a restart, so after one, `llwybr replay --since TIME`
recreates the topics and queues every event written since TIME to be sent again by each
service's relay, in the original order. Consumers' inboxes make the replay harmless.
"""

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from llwybr_common.connections import database_ssl
from llwybr_common.db import make_engine, session_scope
from llwybr_common.outbox import mark_for_replay
from llwybr_common.settings import get_settings

# Every schema with an outbox: the services (folder names, `-` as `_`) and the journey.
OUTBOX_SCHEMAS = (
    "referral",
    "idp",
    "health_liaison",
    "notifications",
    "advocacy",
    "journey",
)

_RELATIVE = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_since(value: str, now: datetime | None = None) -> datetime:
    """An ISO date or date-time (UTC unless it says otherwise), or a span back from now:
    `30m`, `2h`, `7d`."""
    now = now or datetime.now(UTC)
    match = _RELATIVE.match(value.strip())
    if match:
        return now - timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(
            f"--since {value!r} is not a time: give an ISO date or date-time "
            "(2026-11-23, 2026-11-23T09:30:00+00:00) or a span back from now (30m, 2h, 7d)"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


async def replay(database_url: str, since: datetime) -> dict[str, int]:
    """Queue events written since `since` in every outbox; returns the count per schema."""
    counts: dict[str, int] = {}
    for schema in OUTBOX_SCHEMAS:
        engine = make_engine(database_url, schema, ssl=database_ssl(get_settings()), pool_size=1)
        try:
            async with session_scope(engine) as session:
                exists = await session.scalar(
                    text("SELECT to_regclass(:t) IS NOT NULL"), params={"t": f"{schema}.outbox"}
                )
                if exists:
                    counts[schema] = await mark_for_replay(session, since)
        finally:
            await engine.dispose()
    return counts
