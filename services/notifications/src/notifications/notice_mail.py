"""Decision notices sent to families (Act s.9, s.68, s.69, s.70; docs/rules.md section 7).

`AlnDecided`, `AppealWindowOpened`, `IdpIssued` and `IdpCeased` each become a notification for
the case's family and an email job holding only ids, codes and dates. At send time the mailer
asks the referral service (claim-check, `GET /api/v1/cases/{id}/notice-contacts`) where the
notice goes and in which language, so no name or address is stored here (a delivery keeps the
address's hash). A looked-after child's independent reviewing officer gets a copy. With no
family contact the job ends as a `no-address` delivery a caseworker can see.

The journey follows an LA's no-ALN decision (and a confirmed ceasing, an IDP reconsideration)
with `AppealWindowOpened`: the family already has the deadline from the `AlnDecided` notice,
so a second notice goes only when the journey's deadline differs (notice given later).
"""

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from llwybr_common.claim_check import Missing, NoAnswer, fetch
from llwybr_common.settings import Settings
from llwybr_common.telemetry import current_trace_id
from llwybr_contracts.envelope import CloudEvent
from llwybr_contracts.events import AlnDecided, AppealWindowOpened, IdpCeased, IdpIssued
from notifications.mailer import Attachment, Composer, NoAddress, Outgoing, TryLater
from notifications.models import EmailJob, Notification
from notifications.notices import (
    APPEALABLE,
    DecisionNotice,
    appeal_due,
    notice_document,
    notice_pdf,
)
from notifications.rendering import TEXT_ENV, Rendered, languages, long_date, text

KIND = "decision-notice"
FAMILY, IRO = "notice", "notice-iro"  # email job templates
SERVICE = "notifications"
NoticeEvent = AlnDecided | AppealWindowOpened | IdpIssued | IdpCeased


@dataclass(frozen=True)
class NoticeContacts:
    preferred_language: str
    family_email: str | None
    iro_email: str | None
    looked_after: bool


class ReferralContacts:
    """The referral service's `notice-contacts` claim-check, with this service's credential.
    None: no such case (404). Unreachable or failing: `TryLater`, the mailer's backoff."""

    def __init__(
        self, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self._settings, self._transport = settings, transport

    async def __call__(self, case_id: str) -> NoticeContacts | None:
        answer = await fetch(
            self._settings, caller=SERVICE, target="referral",
            path=f"/api/v1/cases/{case_id}/notice-contacts", transport=self._transport,
            wait_seconds=5.0,
        )  # fmt: skip
        if isinstance(answer, Missing):
            return None
        if isinstance(answer, NoAnswer):
            raise TryLater(answer.reason)
        body = answer.body
        family = body.get("family") or {}
        return NoticeContacts(
            preferred_language=body.get("preferred_language") or "cy",
            family_email=family.get("email"),
            iro_email=body.get("iro_email"),
            looked_after=bool(body.get("looked_after")),
        )


# --- on the journey's and the IDP service's events ----------------------------------------------


async def _last_notice(session: AsyncSession, case_id: str) -> Notification | None:
    rows = await session.exec(
        select(Notification)
        .where(Notification.case_id == case_id, Notification.kind == KIND)
        .order_by(col(Notification.created_at).desc())
        .limit(1)
    )
    return rows.first()


async def notice_for(session: AsyncSession, event: NoticeEvent) -> DecisionNotice | None:
    """The notice an event calls for; None when the family already has it."""
    last = await _last_notice(session, event.case_id)
    known = last.params if last and last.params else None
    if isinstance(event, AlnDecided):
        body = event.deciding_body.value
        due = appeal_due(event.decided_on) if body in APPEALABLE else None
        return DecisionNotice(event.case_id, event.has_aln, body, event.decided_on, due)
    if isinstance(event, AppealWindowOpened):
        if known and known.get("appeal_due") == event.due.isoformat():
            return None  # the decision's notice already gave this deadline
        has_aln = bool(known and known["has_aln"])
        return DecisionNotice(
            event.case_id, has_aln, "local-authority", event.notice_given_on, event.due
        )  # Act s.70: the journey opens the window for LA decisions only
    # An IDP's notice: who keeps the plan is the body that decided the case (an earlier notice).
    body = known["deciding_body"] if known else "local-authority"
    outcome = "idp-issued" if isinstance(event, IdpIssued) else "idp-ceased"
    due = appeal_due(event.on) if body in APPEALABLE else None
    return DecisionNotice(event.case_id, True, body, event.on, due, outcome)


async def on_notice_event(session: AsyncSession, envelope: CloudEvent, event: NoticeEvent) -> None:
    notice = await notice_for(session, event)
    if notice is None:
        return
    now = datetime.now(UTC)
    params = notice.params()
    titles = {
        lang: text(f"notifications.notice.title.{notice.kind}", lang) for lang in ("cy", "en")
    }
    note = Notification(
        id=str(uuid.uuid4()),
        case_id=notice.case_id,
        kind=KIND,
        channel="email",
        recipient_role="family",
        recipient_scope=f"case:{notice.case_id}",
        text_cy=text("notifications.notice-inbox", "cy", title=titles["cy"], case=notice.case_id),
        text_en=text("notifications.notice-inbox", "en", title=titles["en"], case=notice.case_id),
        params=params,
        source_event_id=envelope.id,
        trace_id=current_trace_id(),
        created_at=now,
    )
    session.add(note)
    session.add(
        EmailJob(
            id=str(uuid.uuid4()),
            notification_id=note.id,
            case_id=notice.case_id,
            template=FAMILY,
            params=params,
            next_attempt_at=now,
            created_at=now,
        )
    )


# --- at send time --------------------------------------------------------------------------------


def render_notice_email(
    notice: DecisionNotice, choice: str | None, *, iro: bool, link: str | None = None
) -> Rendered:
    """`link`: the family's signed link to follow their case in the console (family only)."""
    langs = languages(choice)
    blocks = []
    for lang in langs:
        title = text(f"notifications.notice.title.{notice.kind}", lang)
        appealable = notice.deciding_body in APPEALABLE and notice.appeal_due
        blocks.append(
            {
                "title": title,
                "subject": text(
                    "notifications.notice-email.subject", lang, case=notice.case_id, title=title
                ),
                "iro": text("notifications.notice-email.iro", lang) if iro else "",
                "text": text("notifications.notice-email.text", lang, case=notice.case_id),
                "appeal": text(
                    "notifications.notice.appeal",
                    lang,
                    deadline=long_date(notice.appeal_due, lang),
                )
                if appealable and notice.appeal_due
                else "",
                "family_view": text("notifications.notice.family-view", lang) if link else "",
                "link": link or "",
            }
        )
    subject = " / ".join(b["subject"] for b in blocks)
    plain = TEXT_ENV.get_template("notice_email.txt.j2").render(blocks=blocks)
    return Rendered(subject, plain, notice_document(notice, choice, link), langs)


Contacts = Callable[[str], Awaitable[NoticeContacts | None]]
LinkFor = Callable[[str, str], str | None]  # (case id, notification id) -> the family's link


def notice_composer(contacts: Contacts, link_for: LinkFor | None = None) -> Composer:
    """The mailer's composer for `notice` and `notice-iro` jobs: addressed at send time. The
    family's notice carries their signed, expiring link to the console's family view
    (`llwybr_common.family_link`); the IRO's copy does not (the link is the family's)."""

    async def compose(session: AsyncSession, job: EmailJob) -> Outgoing:
        found = await contacts(job.case_id)
        if found is None:
            raise NoAddress("case-not-found")
        iro = job.template == IRO
        if iro:
            if not (found.looked_after and found.iro_email):
                raise NoAddress("no-iro")
            to = found.iro_email
        else:
            await _copy_to_iro(session, job, found)
            if not found.family_email:
                raise NoAddress("no-family-contact")
            to = found.family_email
        notice = DecisionNotice.of(job.params)
        link = None if iro or link_for is None else link_for(job.case_id, job.notification_id)
        choice = found.preferred_language
        first = languages(choice)[0]
        filename = text("notifications.notice-email.filename", first, case=notice.case_id)
        return Outgoing(
            to,
            render_notice_email(notice, choice, iro=iro, link=link),
            (Attachment(filename, notice_pdf(notice, choice, link)),),
        )

    return compose


async def _copy_to_iro(session: AsyncSession, job: EmailJob, found: NoticeContacts) -> None:
    """A looked-after child's independent reviewing officer gets a copy (Act s.22; docs/rules.md,
    IDP "Copies"): a job of its own,
    made once, when the family's job first learns of them (its address is not kept)."""
    if not (found.looked_after and found.iro_email):
        return
    if await session.get(EmailJob, f"{job.id}:iro") is not None:
        return
    now = datetime.now(UTC)
    session.add(
        EmailJob(
            id=f"{job.id}:iro",
            notification_id=job.notification_id,
            case_id=job.case_id,
            template=IRO,
            params=job.params,
            next_attempt_at=now,
            created_at=now,
        )
    )
