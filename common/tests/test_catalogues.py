"""The Welsh and English catalogues: every message exists in both languages with the same
parameters, and every code the code can raise (and every journey refusal) has its text."""

import re
import string
from pathlib import Path

import pytest

from llwybr_common.i18n import catalogue, catalogue_path, parse_po
from llwybr_common.problems import PYDANTIC_REASONS
from llwybr_contracts.vocabulary import RefusalCode

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [ROOT / "common" / "src", *sorted((ROOT / "services").glob("*/src"))]
# `AccessDenied("access.case-scope", ...)`, `Unavailable(\n    "journey-unavailable...")`
RAISED = re.compile(
    r"\b(?:DomainError|BadRequest|Unauthenticated|AccessDenied|NotFound|Conflict|Unavailable|unavailable)"
    r"\(\s*\"([a-z0-9.-]+)\""
)
# `FieldError("note", "note-required-for-other")`, `FieldError(\n    field, "bad-cursor"`
FIELD = re.compile(r"\bFieldError\(\s*[^,()]+,\s*\"([a-z0-9.-]+)\"")


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _sources() -> str:
    return "\n".join(p.read_text() for src in SOURCES for p in src.rglob("*.py"))


def test_every_message_has_a_welsh_and_an_english_text_with_the_same_parameters() -> None:
    cy, en = catalogue("cy"), catalogue("en")
    assert set(cy) == set(en), f"only in one language: {sorted(set(cy) ^ set(en))}"
    untranslated = sorted(k for k, v in cy.items() if not v.strip())
    assert not untranslated, f"no Welsh text for {untranslated}"
    assert not [k for k, v in en.items() if not v.strip()]
    for msgid in cy:
        assert _placeholders(cy[msgid]) == _placeholders(en[msgid]), msgid


def test_a_message_id_without_its_welsh_text_is_found(tmp_path: Path) -> None:
    po = catalogue_path("cy").read_text(encoding="utf-8")
    broken = po.replace('msgstr "Heb ei ganfod"', 'msgstr ""', 1)
    assert not parse_po(broken)["problem.not-found.case.title"]


def test_every_journey_refusal_has_a_text_in_both_languages() -> None:
    for code in RefusalCode:
        for part in ("title", "detail"):
            msgid = f"problem.refused.{code.value}.{part}"
            assert catalogue("cy").get(msgid) and catalogue("en").get(msgid), msgid


def test_every_code_raised_in_the_code_has_a_text_in_both_languages() -> None:
    source = _sources()
    raised = set(RAISED.findall(source)) | {"validation", "not-ready", "internal-error"}
    assert len(raised) > 20, "the scan should find the services' codes"
    for code in sorted(raised):
        for part in ("title", "detail"):
            assert catalogue("cy").get(f"problem.{code}.{part}"), f"{code}: no {part}"
    fields = set(FIELD.findall(source)) | set(PYDANTIC_REASONS.values())
    assert len(fields) > 15
    missing = sorted(f for f in fields if not catalogue("cy").get(f"field.{f}"))
    assert not missing, f"field reasons without a text: {missing}"
