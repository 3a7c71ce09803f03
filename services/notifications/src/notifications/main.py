"""Composition of the notifications service: routes, the journey consumer, and two loops of
its own (the mailer and the morning digest). In embedded mode it seeds the directory from the
people file the stack names."""

import asyncio
import logging
from functools import partial
from pathlib import Path

from llwybr_common import family_link
from llwybr_common.db import session_scope
from llwybr_common.people import read_people
from llwybr_common.runtime import Runtime, build_app
from notifications import notice_mail, recipients
from notifications.api import router
from notifications.consumers import consumers
from notifications.digests import DigestClock
from notifications.mailer import Mailer, compose_for_recipient
from notifications.notice_mail import ReferralContacts

log = logging.getLogger(__name__)


def mailer_of(rt: Runtime) -> Mailer:
    return Mailer(
        rt.settings,
        partial(session_scope, rt.engine),
        composers={
            "alert": compose_for_recipient,
            "digest": compose_for_recipient,
            notice_mail.FAMILY: notice_mail.notice_composer(
                ReferralContacts(rt.settings), partial(family_link.url, rt.settings)
            ),
            notice_mail.IRO: notice_mail.notice_composer(ReferralContacts(rt.settings)),
        },
        after_commit=rt.relay.wake,
        max_attempts=rt.settings.email_max_attempts,
        retry_seconds=rt.settings.email_retry_seconds,
    )


async def start(rt: Runtime) -> None:
    if rt.settings.mode == "embedded" and rt.settings.people_file:
        async with session_scope(rt.engine) as session:
            added = await recipients.seed(session, read_people(Path(rt.settings.people_file)))
        log.info("recipients seeded", extra={"added": added})
    mailer = mailer_of(rt)
    digests = DigestClock(partial(session_scope, rt.engine))
    rt.tasks.append(asyncio.create_task(mailer.run(), name="notifications-mailer"))
    rt.tasks.append(asyncio.create_task(digests.run(), name="notifications-digests"))


app = build_app(
    "notifications",
    migrations=Path(__file__).parent / "migrations",
    routers=[router],
    consumers=consumers,
    on_start=start,
)
