"""The case timeline's detail in words, Welsh or English. The referral service keeps each
entry's detail as codes and dates only (never free text: `rule paused due none because
learner-absent`); this reads those codes back and says them from the catalogues. A detail in a
shape this does not know is shown as it is, marked as not translated."""

import re
from collections.abc import Callable
from dataclasses import dataclass

from console.language import has_text, long_date, text
from llwybr_clock.errors import UnknownAuthorityError
from llwybr_clock.shipped import find_authority


@dataclass(frozen=True)
class Detail:
    text: str
    translated: bool


def _word(prefix: str, code: str, lang: str) -> str:
    """A code's word from the catalogue (`<prefix>.<code>`), the code itself when unknown."""
    return text(f"{prefix}.{code}", lang) if has_text(f"{prefix}.{code}") else code


def _day(value: str, lang: str) -> str:
    if value in ("none", "None", ""):
        return text("timeline.d.no-date", lang)
    try:
        return long_date(value, lang)
    except ValueError:
        return value


def _authority(code: str, lang: str) -> str:
    try:
        found = find_authority(code)
    except UnknownAuthorityError:
        return code
    return found.name_cy if lang == "cy" else found.name_en


def _scope(scope: str, lang: str) -> str:
    kind, _, code = scope.partition(":")
    return _authority(code, lang) if kind == "la" else scope


def _state(m: re.Match[str], lang: str) -> str:
    before, after = m["before"], _word("state", m["after"], lang)
    if before == "-":
        return text("timeline.d.state-start", lang, state=after)
    return text("timeline.d.state", lang, before=_word("state", before, lang), state=after)


def _clock(m: re.Match[str], lang: str) -> str:
    rule, due = _word("rule", m["rule"], lang), _day(m["due"], lang)
    change = m["change"]
    said = text(f"timeline.d.clock-{change or 'due'}", lang, rule=rule, due=due)
    if m["reason"]:
        said += " " + text("clock.because", lang, reason=_word("reason", m["reason"], lang))
    return said


def _met(m: re.Match[str], lang: str) -> str:
    return text("timeline.d.clock-met", lang, rule=_word("rule", m["rule"], lang))


def _deadline(m: re.Match[str], lang: str) -> str:
    return text(
        "timeline.d.deadline",
        lang,
        rule=_word("rule", m["rule"], lang),
        due=_day(m["due"], lang),
        role=_word("role", m["role"], lang),
        scope=_scope(m["scope"], lang),
    )


def _decided(m: re.Match[str], lang: str) -> str:
    outcome = text("outcome.aln" if m["aln"] == "ALN" else "outcome.no-aln", lang)
    body = _word("body", m["body"], lang)
    return text("timeline.d.decided", lang, outcome=outcome, body=body, on=_day(m["on"], lang))


def _referred(m: re.Match[str], lang: str) -> str:
    authority = _authority(m["authority"], lang)
    return text("timeline.d.referred", lang, authority=authority, on=_day(m["on"], lang))


def _request(m: re.Match[str], lang: str) -> str:
    return text("timeline.d.request", lang, ref=m["id"][:8])


def _appeal(m: re.Match[str], lang: str) -> str:
    notice, due = _day(m["notice"], lang), _day(m["due"], lang)
    return text("timeline.d.appeal-window", lang, notice=notice, due=due)


def _closed(m: re.Match[str], lang: str) -> str:
    reason = _word("timeline.d.closed-reason", m["reason"], lang)
    return text("timeline.d.closed", lang, reason=reason, on=_day(m["on"], lang))


def _code(prefix: str) -> Callable[[re.Match[str], str], str]:
    return lambda m, lang: _word(prefix, m["code"], lang)


CLOCK = r"(?P<rule>[a-z-]+)(?: (?P<change>paused|resumed|lifted|recomputed))? due (?P<due>\S+)"
CLOCK += r"(?: because (?P<reason>[a-z-]+))?"
DEADLINE = r"(?P<rule>[a-z-]+) due (?P<due>\S+), level \d+, alert (?P<role>\S+) of (?P<scope>\S+)"
DATE = r"(?P<on>\d{4}-\d{2}-\d{2})"
CODE = r"(?P<code>[a-z0-9-]+)"
# kind -> (the detail's shape, how to say it)
SHAPES: dict[str, tuple[str, Callable[[re.Match[str], str], str]]] = {
    "StateChanged": (r"(?P<before>[a-z-]+) -> (?P<after>[a-z-]+)", _state),
    "ClockStarted": (CLOCK, _clock),
    "ClockChanged": (CLOCK, _clock),
    "ClockMet": (r"(?P<rule>[a-z-]+) due \S+", _met),
    "DeadlineAtRisk": (DEADLINE, _deadline),
    "DeadlineDue": (DEADLINE, _deadline),
    "DeadlineBreached": (DEADLINE, _deadline),
    "DeadlineEscalated": (DEADLINE, _deadline),
    "AlnDecided": (r"(?P<aln>ALN|no ALN) by (?P<body>[a-z-]+) on " + DATE, _decided),
    "ReferredToLa": (r"to (?P<authority>W\d{8}) on " + DATE, _referred),
    "HealthInputRequested": (r"request (?P<id>\S+)", _request),
    "HealthInputWithdrawn": (r"request (?P<id>\S+)", _request),
    "AppealWindowOpened": (
        r"notice (?P<notice>\S+), appeal by (?P<due>\S+)",
        _appeal,
    ),
    "CaseClosed": (r"(?P<reason>[a-z-]+) on " + DATE, _closed),
    "case-opened": (CODE, _code("timeline.d.route")),
    "referral-attached": (CODE, _code("referral-type")),
    "consent-recorded": (CODE, _code("consent")),
}


def describe(kind: str, detail: str, lang: str) -> Detail:
    if not detail:
        return Detail("", True)
    shape = SHAPES.get(kind)
    if shape is not None and (m := re.fullmatch(shape[0], detail)):
        return Detail(shape[1](m, lang), True)
    return Detail(detail, False)
