"""The family's link: it names one case, is Llwybr's only when signed with Llwybr's key, and
expires; the console may read which case a link names (to ask for it) but never trusts it."""

from pathlib import Path

import pytest

from llwybr_common import family_link
from llwybr_common.settings import Settings

pytestmark = pytest.mark.unit


def test_a_link_names_its_case_and_only_llwybrs_key_opens_it(tmp_path: Path) -> None:
    ours = Settings(home=tmp_path, console_url="https://llwybr.example.gov.wales/")
    token = family_link.sign(ours, "case-1", "notice-9")
    assert family_link.verify(ours, token) == family_link.FamilyLink("case-1", "notice-9")
    assert family_link.case_named(token) == "case-1"
    assert family_link.url(ours, "case-1", "n").startswith(
        "https://llwybr.example.gov.wales/family/"
    )
    theirs = Settings(home=tmp_path / "elsewhere")  # another key
    with pytest.raises(family_link.LinkInvalid):
        family_link.verify(theirs, token)
    with pytest.raises(family_link.LinkInvalid):
        family_link.verify(ours, token[:-2] + ("xx" if not token.endswith("xx") else "yy"))
    for junk in ("", "not-a-link", "a.b.c", "%%%"):
        assert family_link.case_named(junk) is None


def test_no_console_url_no_link_and_production_needs_its_key(tmp_path: Path) -> None:
    assert family_link.url(Settings(home=tmp_path), "case-1", "n") is None
    with pytest.raises(RuntimeError, match="LLWYBR_FAMILY_LINK_SECRET"):
        family_link.sign(Settings(home=tmp_path, mode="production"), "case-1", "n")
