"""Email delivery: a loop that sends due email jobs over SMTP, records every attempt, retries
failures with backoff and finally gives up with `NotificationFailed`.

A job is rendered and addressed at send time (a recipient's address from the directory; a
family's from the referral service by claim-check), so no address or personal text waits in
a queue. The job's row is locked while it is sent (`FOR UPDATE SKIP LOCKED`), so two replicas
never send the same job; a crash between sending and committing can send it twice, never zero
times. The stdlib SMTP client runs in a thread: aiosmtplib is not among the pinned dependencies
and one message at a time is plenty here.
"""

import asyncio
import contextlib
import hashlib
import logging
import smtplib
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from llwybr_common.outbox import add_event
from llwybr_common.settings import Settings
from llwybr_contracts.events import NotificationDelivered, NotificationFailed
from notifications.alerts import SOURCE
from notifications.models import Delivery, EmailJob, Recipient
from notifications.rendering import Rendered, render_alert, render_digest

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    subtype: str = "pdf"


@dataclass(frozen=True)
class Outgoing:
    """A message ready to send, with its address (never logged, never stored)."""

    to: str
    rendered: Rendered
    attachments: tuple[Attachment, ...] = field(default_factory=tuple)


class NoAddress(Exception):
    """The job has nobody to go to (the recipient left the directory, the family has no
    address): it ends without an attempt."""


class TryLater(Exception):
    """Where the job goes cannot be learnt now (the referral service is unreachable): an
    attempt that failed, retried with the same backoff as SMTP."""


# A job kind -> how it is rendered and addressed at send time.
Composer = Callable[[AsyncSession, EmailJob], Awaitable[Outgoing]]


async def compose_for_recipient(session: AsyncSession, job: EmailJob) -> Outgoing:
    person = await session.get(Recipient, job.recipient_id) if job.recipient_id else None
    if person is None or "email" not in person.channels:
        raise NoAddress("recipient-gone")
    render = render_digest if job.template == "digest" else render_alert
    return Outgoing(person.email, render(job.params, person.language))


def address_hash(address: str) -> str:
    return hashlib.sha256(address.strip().lower().encode()).hexdigest()


def build_message(settings: Settings, out: Outgoing) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = out.rendered.subject
    msg["From"] = settings.mail_from
    msg["To"] = out.to
    msg["Message-ID"] = make_msgid(domain="llwybr.example.org")
    msg.set_content(out.rendered.text)
    msg.add_alternative(out.rendered.html, subtype="html")
    for a in out.attachments:
        msg.add_attachment(
            a.content, maintype="application", subtype=a.subtype, filename=a.filename
        )
    # After the parts: setting content drops the Content-* headers set before it.
    msg["Content-Language"] = ", ".join(out.rendered.languages)
    return msg


def send_smtp(settings: Settings, message: EmailMessage, timeout: float = 10.0) -> None:
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout) as smtp:
        smtp.send_message(message)


class Mailer:
    def __init__(
        self,
        settings: Settings,
        sessions: Callable[[], "contextlib.AbstractAsyncContextManager[AsyncSession]"],
        *,
        composers: dict[str, Composer],
        after_commit: Callable[[], None] = lambda: None,
        max_attempts: int = 6,
        retry_seconds: float = 5.0,
        retry_cap_seconds: float = 300.0,
        poll_seconds: float = 1.0,
        send: Callable[[Settings, EmailMessage], None] = send_smtp,
    ) -> None:
        self._settings, self._sessions = settings, sessions
        self._composers = composers
        self._after_commit = after_commit
        self.max_attempts = max_attempts
        self._retry, self._cap = retry_seconds, retry_cap_seconds
        self._poll = poll_seconds
        self._send = send
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    def backoff(self, attempts: int) -> timedelta:
        """Wait after the `attempts`-th failure: doubling from `retry_seconds`, capped."""
        return timedelta(seconds=min(self._cap, self._retry * 2 ** (attempts - 1)))

    async def run(self) -> None:
        while True:
            try:
                busy = await self.send_due()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("mailer failed; retrying")
                busy = False
                await asyncio.sleep(1.0)
            if not busy:
                try:
                    await asyncio.wait_for(self._wake.wait(), self._poll)
                except TimeoutError:
                    pass
                self._wake.clear()

    async def send_due(self, limit: int = 20) -> bool:
        """Try each job that is due, one transaction each. True if any was tried."""
        tried = False
        for _ in range(limit):
            async with self._sessions() as session:
                job = (
                    await session.exec(
                        select(EmailJob)
                        .where(
                            col(EmailJob.done_at).is_(None),
                            col(EmailJob.next_attempt_at) <= datetime.now(UTC),
                        )
                        .order_by(col(EmailJob.next_attempt_at))
                        .limit(1)
                        .with_for_update(skip_locked=True)
                    )
                ).first()
                if job is None:
                    return tried
                await self._attempt(session, job)
            tried = True
            self._after_commit()
        return tried

    async def _attempt(self, session: AsyncSession, job: EmailJob) -> None:
        now = datetime.now(UTC)
        compose = self._composers[job.template]
        try:
            out = await compose(session, job)
        except NoAddress as gone:
            job.done_at, job.result = now, "no-address"
            session.add(job)
            self._record(session, job, None, "no-address", str(gone))
            return
        except TryLater as later:
            job.attempts += 1
            self._failed(session, job, None, "lookup", str(later))
            return
        job.attempts += 1
        message = build_message(self._settings, out)
        try:
            await asyncio.to_thread(self._send, self._settings, message)
        except (OSError, smtplib.SMTPException) as exc:
            self._failed(session, job, out.to, "smtp", type(exc).__name__)
            return
        job.done_at, job.result = now, "delivered"
        session.add(job)
        self._record(session, job, out.to, "delivered", None)
        add_event(
            session,
            NotificationDelivered(
                case_id=job.case_id,
                notification_id=job.notification_id,
                channel="email",
                language=out.rendered.languages[0],  # type: ignore[arg-type]
                delivered_at=now,
            ),
            event_id=f"{job.id}:delivered",
            source=SOURCE,
            subject=job.case_id,
        )

    def _failed(
        self, session: AsyncSession, job: EmailJob, address: str | None, stage: str, error: str
    ) -> None:
        """An attempt failed: retry after the backoff, or give up with `NotificationFailed`."""
        now = datetime.now(UTC)
        if job.attempts >= self.max_attempts:
            job.done_at, job.result = now, "failed"
            self._record(session, job, address, "failed", error)
            add_event(
                session,
                NotificationFailed(
                    case_id=job.case_id,
                    notification_id=job.notification_id,
                    channel="email",
                    reason=f"{stage}: {error} after {job.attempts} attempts",
                ),
                event_id=f"{job.id}:failed",
                source=SOURCE,
                subject=job.case_id,
            )
            log.warning(
                "email undeliverable",
                extra={"job_id": job.id, "attempts": job.attempts, "error": error},
            )
        else:
            job.next_attempt_at = now + self.backoff(job.attempts)
            self._record(session, job, address, "retrying", error)
        session.add(job)

    @staticmethod
    def _record(
        session: AsyncSession, job: EmailJob, address: str | None, result: str, error: str | None
    ) -> None:
        session.add(
            Delivery(
                id=str(uuid.uuid4()),
                notification_id=job.notification_id,
                channel="email",
                address_hash=address_hash(address) if address else None,
                attempt=job.attempts,
                result=result,
                error=error,
                at=datetime.now(UTC),
            )
        )
