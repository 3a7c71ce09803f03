"""What the family sees of their own case through the signed link sent with each decision
notice (docs/rules.md section 7): the clocks, the decisions with the appeal deadline, and who
decides. Nothing about anyone else: no referrer, no notes, no health or school staff, none of
the learner's identifiers beyond the given name the family already knows.

The caller is the console (role `service`) passing the family's link on; the link, checked
here against the case asked for, is what scopes the read to that one case. A link that is
tampered with, names another case or a case that does not exist is "not found", all alike;
an expired one says so, which reveals nothing a holder of the link did not already know."""

import re
from collections.abc import Sequence
from datetime import date

from pydantic import BaseModel

from llwybr_clock.shipped import authorities
from llwybr_common import family_link
from llwybr_common.errors import NotFound
from llwybr_common.settings import Settings
from llwybr_contracts import journey as j
from referral.models import Case, CaseClock, Child, TimelineEntry

# The timeline's details are written by `projection._detail` (codes and dates only).
_DECIDED = re.compile(r"^(?P<aln>ALN|no ALN) by (?P<body>[a-z-]+) on (?P<on>\d{4}-\d{2}-\d{2})")
_APPEAL = re.compile(r"^notice (?P<notice>\d{4}-\d{2}-\d{2}), appeal by (?P<due>\d{4}-\d{2}-\d{2})")


class FamilyClock(BaseModel):
    rule: str
    status: str  # running, paused, met, lifted
    start: date
    due: date | None
    met_on: date | None = None
    paused_days: int = 0
    reason: str | None = None  # a pause's or lift's legal reason code


class FamilyDecision(BaseModel):
    has_aln: bool
    deciding_body: str
    decided_on: date


class FamilyViewPublic(BaseModel):
    case_id: str
    given_name: str
    preferred_language: str
    authority: str
    authority_name_cy: str
    authority_name_en: str
    state: str
    deciding_body: str
    deciding_authority: str | None
    clocks: list[FamilyClock]
    decisions: list[FamilyDecision]
    notice_given_on: date | None = None
    appeal_due: date | None = None


def check_link(settings: Settings, case_id: str, token: str) -> str:
    """The notice the link came with, if it is Llwybr's link to this very case."""
    try:
        link = family_link.verify(settings, token)
    except family_link.LinkExpired:
        raise NotFound("family-link-expired") from None
    except family_link.LinkInvalid:
        raise NotFound("not-found.family-link") from None
    if link.case_id != case_id:
        raise NotFound("not-found.family-link")
    return link.notice_id


def _why(timeline: Sequence[TimelineEntry], rule: str) -> str | None:
    for entry in reversed(timeline):
        if entry.kind == "ClockChanged" and entry.detail.startswith(f"{rule} "):
            _, _, code = entry.detail.partition(" because ")
            return code or None
    return None


def family_view(
    case: Case,
    child: Child,
    *,
    status: j.JourneyStatus | None,
    timeline: Sequence[TimelineEntry],
    projected: Sequence[CaseClock],
) -> FamilyViewPublic:
    if status is not None:
        clocks = [
            FamilyClock(
                rule=c.rule,
                status=c.status,
                start=c.start,
                due=c.due,
                met_on=c.met_on,
                paused_days=c.paused_days,
            )
            for c in status.clocks
        ]
    else:
        clocks = [
            FamilyClock(
                rule=c.rule,
                status=c.status,
                start=c.start or case.opened_at.date(),
                due=c.due,
                met_on=c.met_on,
            )
            for c in projected
        ]
    for clock in clocks:
        if clock.status in ("paused", "lifted"):
            clock.reason = _why(timeline, clock.rule)
    decisions, notice, appeal = [], None, None
    for entry in timeline:
        if entry.kind == "AlnDecided" and (m := _DECIDED.match(entry.detail)):
            decisions.append(
                FamilyDecision(
                    has_aln=m["aln"] == "ALN",
                    deciding_body=m["body"],
                    decided_on=date.fromisoformat(m["on"]),
                )
            )
        elif entry.kind == "AppealWindowOpened" and (m := _APPEAL.match(entry.detail)):
            notice, appeal = date.fromisoformat(m["notice"]), date.fromisoformat(m["due"])
    names = {a.ons_code: a for a in authorities()}
    home = names.get(case.deciding_authority or case.authority) or names.get(case.authority)
    return FamilyViewPublic(
        case_id=case.id,
        given_name=child.given_name,
        preferred_language=child.preferred_language,
        authority=home.ons_code if home else case.authority,
        authority_name_cy=home.name_cy if home else case.authority,
        authority_name_en=home.name_en if home else case.authority,
        state=case.state,
        deciding_body=case.deciding_body,
        deciding_authority=case.deciding_authority,
        clocks=clocks,
        decisions=decisions,
        notice_given_on=notice,
        appeal_due=appeal,
    )
