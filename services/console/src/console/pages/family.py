"""The family view: a read-only page for the parent or young person, opened by the signed,
expiring link sent with each decision notice (no account, no sign-in). Every clock in plain
words (time left, why it is paused, who is acting, what happens next), the decisions with the
family's rights and deadlines, and who to contact (Act s.9, s.69, s.70; docs/rules.md section 7).

The console holds no key and no data: it passes the link on to the referral service's
family-view endpoint with its own service credential; referral checks the link against the
case, audits the view and answers. A link that is malformed, tampered with, or names no case
gets one bilingual page that says nothing of whether the case exists; an expired one says so."""

from datetime import date
from typing import Any

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from console.clock_status import TAG_CLASSES, ClockTag, clock_tag, days_remaining
from console.identity import settings_of
from console.language import chosen_language, has_text, long_date, page_language, text
from console.services import problem_of, services_of
from console.templating import render
from llwybr_common import family_link
from llwybr_common.auth import service_token
from llwybr_common.wales import today_in_wales

router = APIRouter()

# Never cached, never indexed, and the link (a credential) never sent on as a Referer.
PRIVATE = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
}


def _private(response: HTMLResponse) -> HTMLResponse:
    response.headers.update(PRIVATE)
    return response


def _link_problem(request: Request, kind: str, status: int) -> HTMLResponse:
    """`invalid`, `expired` or `unavailable`, in Welsh and English on one page: the reader may
    not have chosen a language, and nothing here depends on the case."""
    days = settings_of(request).family_link_days
    return _private(
        render(
            request, "family_link_problem.html", status_code=status, kind=kind, days=days, text=text
        )
    )


async def _fetch(request: Request, case_id: str, token: str) -> dict[str, Any] | str:
    """The referral service's family view, or why not: `invalid`, `expired`, `unavailable`."""
    services = services_of(request)
    base = services.urls.get("referral")
    if not base:
        return "unavailable"
    settings = settings_of(request)
    headers = {
        "Authorization": f"Bearer {service_token(settings, 'console')}",
        "Accept-Language": page_language(request),
        family_link.HEADER: token,
    }
    try:
        r = await services.client.get(f"{base}/api/v1/cases/{case_id}/family-view", headers=headers)
    except httpx.HTTPError:
        return "unavailable"
    if r.status_code == 200:
        view: dict[str, Any] = r.json()
        return view
    problem = problem_of(r)
    if problem.code == "family-link-expired":
        return "expired"
    if r.status_code == 404:
        return "invalid"
    return "unavailable"


def _d(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def clock_rows(view: dict[str, Any], today: date, lang: str) -> list[dict[str, Any]]:
    """Each clock as the family reads it: where it is, who is acting, what happens next."""
    names = {"name": view["given_name"], "authority": authority_name(view, lang)}
    rows = []
    for clock in view["clocks"]:
        rule, status = clock["rule"], clock["status"]
        due, met_on = _d(clock.get("due")), _d(clock.get("met_on"))
        tag = clock_tag(status, due, today, rule=rule)
        reason = clock.get("reason")
        why = text(f"reason.{reason}", lang) if reason and has_text(f"reason.{reason}") else ""
        if status == "met":
            where = text("family.clock.met", lang, date=long_date(met_on, lang))
        elif status == "lifted":
            where = text("family.clock.lifted" + (".why" if why else ""), lang, reason=why)
        elif status == "paused" or due is None:
            where = text("family.clock.paused" + (".why" if why else ""), lang, reason=why)
        elif tag == ClockTag.CLOSED:
            where = text("family.clock.closed", lang, date=long_date(due, lang))
        else:
            days = days_remaining(due, today) or 0
            key = {True: "overdue", False: "running"}[days < 0] if days else "due-today"
            where = text(f"family.clock.{key}", lang, date=long_date(due, lang), days=abs(days))
        open_ = status in ("running", "paused") and tag != ClockTag.CLOSED
        rows.append(
            {
                "rule": text(f"rule.{rule}", lang) if has_text(f"rule.{rule}") else rule,
                "tag": text(f"tag.{tag.value}", lang),
                "classes": TAG_CLASSES[tag],
                "where": where,
                "who": text(f"family.who.{rule}", lang, **names) if open_ else "",
                "next": text(f"family.next.{rule}", lang, **names) if open_ else "",
            }
        )
    return rows


def decision_rows(view: dict[str, Any], lang: str) -> list[dict[str, Any]]:
    """Each decision with the family's rights: the Tribunal for an LA's or college's decision
    (Act s.70), LA reconsideration for a school's (Act s.26)."""
    appeal_due = _d(view.get("appeal_due"))
    rows = []
    for d in view["decisions"]:
        body = d["deciding_body"]
        said = text(
            "family.decision." + ("aln" if d["has_aln"] else "no-aln"),
            lang,
            date=long_date(_d(d["decided_on"]), lang),
            body=text(f"family.body.{body}", lang, authority=authority_name(view, lang)),
            name=view["given_name"],
        )
        if body == "school":
            right = text("family.right.school", lang)
        elif appeal_due:
            right = text("family.right.appeal", lang, date=long_date(appeal_due, lang))
        else:
            right = text("family.right.appeal-notice", lang)
        rows.append({"said": said, "right": right})
    return rows


def family_language(request: Request, view: dict[str, Any]) -> str:
    """The language the family asked for on the case (Welsh first when they asked for both),
    not the browser's: a shared or library computer may be set to either. The switch on the
    page still lets the reader choose, and that choice wins."""
    chosen = chosen_language(request)
    if chosen:
        return chosen
    return "en" if view.get("preferred_language") == "en" else "cy"


def authority_name(view: dict[str, Any], lang: str) -> str:
    return str(view["authority_name_cy" if lang == "cy" else "authority_name_en"])


@router.get("/family/{token}", include_in_schema=False)
async def family_page(request: Request, token: str) -> HTMLResponse:
    case_id = family_link.case_named(token) if len(token) <= 2048 else None
    if case_id is None:
        return _link_problem(request, "invalid", 404)
    found = await _fetch(request, case_id, token)
    if isinstance(found, str):
        status = {"invalid": 404, "expired": 410}.get(found, 503)
        return _link_problem(request, found, status)
    lang = family_language(request, found)
    today = today_in_wales()
    return _private(
        render(
            request,
            "family.html",
            lang=lang,
            view=found,
            authority=authority_name(found, lang),
            clocks=clock_rows(found, today, lang),
            decisions=decision_rows(found, lang),
        )
    )
