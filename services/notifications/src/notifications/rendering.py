"""Messages people read, in Welsh and English from the catalogues, rendered with Jinja2 (an HTML
email with a plain-text part). A person who chose both languages gets Welsh first, then English.

Parameters are ids, codes and dates only: an alert names the case by its reference and the duty
by its rule, never the learner (email is not a secure channel).
"""

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from llwybr_common.documents import template_environment
from llwybr_common.i18n import has_message, lookup

TEMPLATES = Path(__file__).parent / "templates"
ENV = template_environment(TEMPLATES)
TEXT_ENV = ENV.overlay(autoescape=False)  # the plain-text part is not HTML: nothing to escape
STAGES = ("at-risk", "due", "breached", "escalated")


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    languages: tuple[str, ...]


def languages(choice: str | None) -> tuple[str, ...]:
    """A person's choice as the languages to write in, in order: both is Welsh, then English."""
    if choice == "both":
        return ("cy", "en")
    return ("en",) if choice == "en" else ("cy",)


def text(msgid: str, lang: str, **params: Any) -> str:
    found = lookup(msgid, lang, params)
    if found is None:
        raise KeyError(f"no {lang} text for {msgid}")
    return found


def long_date(day: date, lang: str) -> str:
    return text(
        "notifications.date",
        lang,
        day=day.day,
        month=text(f"notifications.month.{day.month}", lang),
        year=day.year,
    )


def _days(msgid: str, lang: str, days: int) -> str:
    return text(f"{msgid}.one" if days == 1 else msgid, lang, days=days)


def duty(rule: str, lang: str) -> str:
    msgid = f"notifications.duty.{rule}"
    return text(msgid, lang) if has_message(msgid) else rule


def alert_lines(params: dict[str, Any], lang: str) -> dict[str, str]:
    """The parts of a deadline alert in one language."""
    stage, rule, case = params["stage"], params["rule"], params["case_id"]
    due, on = date.fromisoformat(params["due"]), date.fromisoformat(params["on"])
    if on < due:
        lateness = _days("notifications.lateness.before", lang, (due - on).days)
    elif on == due:
        lateness = text("notifications.lateness.today", lang)
    else:
        lateness = _days("notifications.lateness.late", lang, (on - due).days)
    specific = f"notifications.next.{rule}.{stage}"
    next_step = specific if has_message(specific) else f"notifications.next.{stage}"
    return {
        "subject": text(f"notifications.subject.{stage}", lang, case=case),
        "heading": text(f"notifications.heading.{stage}", lang, case=case),
        "case": case,
        "duty": duty(rule, lang),
        "due": long_date(due, lang),
        "lateness": lateness,
        "next": text(next_step, lang),
        "link": params.get("link") or "",
        "footer": text(
            "notifications.footer.alert", lang, role=params["role"], scope=params["scope"]
        ),
    }


def inbox_text(params: dict[str, Any], lang: str) -> str:
    """The alert as one paragraph, for the in-app inbox."""
    a = alert_lines(params, lang)
    label = {k: text(f"notifications.label.{k}", lang) for k in ("duty", "due", "lateness")}
    return (
        f"{a['heading']} {label['duty']}: {a['duty']}. {label['due']}: {a['due']}. "
        f"{label['lateness']}: {a['lateness']}. {a['next']}"
    )


def _labels(lang: str) -> dict[str, str]:
    keys = ("case", "duty", "due", "lateness", "next", "link", "stage", "items")
    return {k: text(f"notifications.label.{k}", lang) for k in keys}


def render_alert(params: dict[str, Any], choice: str | None) -> Rendered:
    langs = languages(choice)
    blocks = [{"lang": lang, "a": alert_lines(params, lang), "l": _labels(lang)} for lang in langs]
    return _render("alert", blocks, langs)


def render_digest(params: dict[str, Any], choice: str | None) -> Rendered:
    """One morning's list for a manager: every alert in their scope since the last digest."""
    langs = languages(choice)
    blocks = []
    for lang in langs:
        items = [alert_lines({**item, "role": "", "scope": ""}, lang) for item in params["items"]]
        stages = [text(f"notifications.stage.{item['stage']}", lang) for item in params["items"]]
        blocks.append(
            {
                "lang": lang,
                "l": _labels(lang),
                "subject": text("notifications.digest.subject", lang, count=len(items)),
                "intro": text(
                    "notifications.digest.intro", lang, scope=params["scope"], count=len(items)
                ),
                "rows": list(zip(stages, items, strict=True)),
                "footer": text(
                    "notifications.footer.digest", lang, role=params["role"], scope=params["scope"]
                ),
            }
        )
    return _render("digest", blocks, langs)


def _render(name: str, blocks: list[dict[str, Any]], langs: tuple[str, ...]) -> Rendered:
    subject = " / ".join(b.get("subject") or b["a"]["subject"] for b in blocks)
    html = ENV.get_template(f"{name}.html.j2").render(blocks=blocks, subject=subject)
    plain = TEXT_ENV.get_template(f"{name}.txt.j2").render(blocks=blocks, subject=subject)
    return Rendered(subject, plain, html, langs)
