"""What people read, without a database: alerts in Welsh, English or both (Welsh first), every
`notifications.` catalogue entry in Welsh, and no learner's name in any alert."""

from datetime import date

import pytest

from llwybr_common.i18n import catalogue, has_message
from llwybr_contracts.vocabulary import RuleId
from notifications.rendering import STAGES, inbox_text, languages, render_alert, render_digest

PREFIXES = ("notifications.", "problem.notifications.", "field.notifications.")


def ours(lang: str) -> dict[str, str]:
    return {k: v for k, v in catalogue(lang).items() if k.startswith(PREFIXES)}


def test_every_notifications_text_has_welsh_and_english() -> None:
    cy, en = ours("cy"), ours("en")
    assert len(en) > 50, "the notifications catalogue entries are there"
    assert sorted(k for k in en if not cy.get(k, "").strip()) == [], "missing Welsh"
    assert sorted(k for k in cy if not en.get(k, "").strip()) == [], "missing English"
    # Welsh is written, not copied: only the date pattern reads the same in both.
    assert sorted(k for k in en if cy[k] == en[k]) == ["notifications.date"]


def alert(stage: str = "breached", **extra: str) -> dict[str, object]:
    return {
        "stage": stage,
        "rule": "health-response",
        "case_id": "8d0c3f1e-case",
        "due": "2026-12-29",
        "on": "2027-01-05",
        "level": 2,
        "role": "declo",
        "scope": "board:W11000029",
        "link": "http://console.test/cases/8d0c3f1e-case",
        **extra,
    }


def test_a_welsh_alert_is_all_welsh() -> None:
    r = render_alert(alert(), "cy")
    assert r.subject == "Terfyn amser wedi'i dorri: achos 8d0c3f1e-case"
    assert "29 Rhagfyr 2026" in r.text and "7 diwrnod yn hwyr" in r.text
    assert "atgyfeiriad adran 20" in r.text and "DECLO" in r.text
    assert "http://console.test/cases/8d0c3f1e-case" in r.text
    assert "Deadline" not in r.text + r.subject and "December" not in r.text
    assert '<html lang="cy">' in r.html and r.languages == ("cy",)


def test_an_english_alert_is_all_english() -> None:
    r = render_alert(alert(stage="at-risk", on="2026-12-15"), "en")
    assert r.subject == "Deadline at risk: case 8d0c3f1e-case"
    assert "29 December 2026" in r.text and "14 days before the due date" in r.text
    assert "Achos" not in r.text and r.languages == ("en",)


def test_both_is_welsh_first_then_english() -> None:
    r = render_alert(alert(on="2026-12-30"), "both")
    assert r.subject.index("Terfyn amser") < r.subject.index("Deadline")
    assert r.text.index("1 diwrnod yn hwyr") < r.text.index("1 day late")
    assert r.html.index('lang="cy"') < r.html.index('<section lang="en"')
    assert languages("both") == ("cy", "en")


@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("rule", list(RuleId))
def test_every_stage_of_every_rule_renders_in_both_languages(stage: str, rule: RuleId) -> None:
    params = alert(stage=stage, rule=rule.value)
    for lang in ("cy", "en"):
        text = inbox_text(params, lang)
        assert "8d0c3f1e-case" in text and "notifications." not in text


def test_every_rule_names_its_duty_and_fei_decision_says_its_limit_is_assumed() -> None:
    missing = [r.value for r in RuleId if not has_message(f"notifications.duty.{r.value}")]
    assert not missing, missing
    # docs/rules.md fei-decision: the law sets no limit, so an alert never passes it off as one
    params = alert(stage="at-risk", rule="fei-decision", on="2026-12-15")
    assert "tybiedig" in inbox_text(params, "cy")
    assert "assumed time limit" in render_alert(params, "en").text


def test_the_digest_lists_each_alert() -> None:
    items = [alert(stage="at-risk", on="2026-12-15"), alert(stage="breached")]
    r = render_digest({"role": "la-manager", "scope": "la:W06000015", "items": items}, "cy")
    assert "Crynodeb bore Llwybr: 2 o derfynau amser" == r.subject
    assert r.text.count("8d0c3f1e-case") >= 2 and "Mewn perygl" in r.text


def test_long_dates_name_the_month_in_each_language() -> None:
    from notifications.rendering import long_date

    assert long_date(date(2027, 2, 1), "cy") == "1 Chwefror 2027"
    assert long_date(date(2027, 2, 1), "en") == "1 February 2027"
