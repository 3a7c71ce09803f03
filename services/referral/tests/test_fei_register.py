"""The register of Welsh FEIs shipped as data (docs/rules.md s.4): every college named in both
languages with a UKPRN and its home authority, and every shipped UKPRN labelled illustrative
(`verified=false`, said so at the head of the file) until a real register replaces it."""

from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest

from llwybr_clock.shipped import find_authority
from referral.institutions import find_institution, register

pytestmark = pytest.mark.unit


@pytest.fixture(autouse=True)
def fresh_register() -> Iterator[None]:
    register.cache_clear()
    yield
    register.cache_clear()


def test_the_shipped_register_names_welsh_feis_and_labels_every_ukprn_illustrative() -> None:
    feis = register()
    assert len(feis) >= 12
    for ukprn, fei in feis.items():
        assert len(ukprn) == 8 and ukprn.isdigit() and ukprn.startswith("1"), ukprn
        assert fei.name_en and fei.name_cy, ukprn
        assert find_authority(fei.authority).ons_code == fei.authority
        assert not fei.verified, f"{fei.name_en}: a shipped UKPRN is not verified"
    head = (resources.files("referral") / "data" / "feis.csv").read_text("utf-8")
    assert "ILLUSTRATIVE" in head.split("ukprn,")[0], "the file says so before its rows"


def test_a_real_register_replaces_it_by_configuration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = tmp_path / "feis.csv"
    real.write_text(
        "ukprn,name_en,name_cy,authority,verified\n"
        "10000001,Example College,Coleg Enghreifftiol,W06000015,true\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("LLWYBR_FEIS_FILE", str(real))
    found = find_institution(" 10000001 ")
    assert found is not None and found.verified and found.name_cy == "Coleg Enghreifftiol"
    assert find_institution("10099011") is None  # the shipped placeholders are gone
