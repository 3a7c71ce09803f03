"""Tokens, roles and scopes."""

from pathlib import Path

import jwt
import pytest

from llwybr_common.auth import mint_token, parse_scope, verify
from llwybr_common.settings import Settings

pytestmark = pytest.mark.unit


def test_scopes_read_by_kind_or_by_the_ons_prefix() -> None:
    assert parse_scope("la:W06000015") == ("la", "W06000015")
    assert parse_scope("W06000015") == ("la", "W06000015")
    assert parse_scope("W11000029") == ("board", "W11000029")
    assert parse_scope("school:6812345") == ("school", "6812345")
    assert parse_scope("advocacy:snap-cymru") == ("advocacy", "snap-cymru")
    assert parse_scope("wales") == ("wales", "wales")  # national roles (wg-analyst)
    with pytest.raises(ValueError, match="unknown scope"):
        parse_scope("planet:mars")


def test_minted_token_verifies_with_roles_and_scopes(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    token = mint_token(settings, subject="u-1", roles=["la-officer"], scopes=["W06000015"])
    principal = verify(token, settings)
    assert principal.subject == "u-1"
    assert principal.has_role("la-officer") and not principal.has_role("declo")
    assert principal.scoped("la") == {"W06000015"}
    assert (tmp_path / "keys" / "jwt-signing.pem").stat().st_mode & 0o077 == 0


def test_wrong_issuer_audience_expiry_and_key_are_refused(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    other = Settings(home=tmp_path / "other")
    good = mint_token(settings, subject="u", roles=["la-officer"], scopes=[])
    with pytest.raises(jwt.InvalidSignatureError):
        verify(good, other)
    with pytest.raises(jwt.InvalidIssuerError):
        verify(good, Settings(home=tmp_path, jwt_issuer="https://login.example/tenant"))
    with pytest.raises(jwt.InvalidAudienceError):
        verify(good, Settings(home=tmp_path, jwt_audience="someone-else"))
    expired = mint_token(settings, subject="u", roles=["la-officer"], scopes=[], ttl_seconds=-10)
    with pytest.raises(jwt.ExpiredSignatureError):
        verify(expired, settings)


def test_unknown_roles_cannot_be_minted_and_production_mints_nothing(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown roles"):
        mint_token(Settings(home=tmp_path), subject="u", roles=["wizard"], scopes=[])
    with pytest.raises(RuntimeError, match="embedded mode"):
        mint_token(
            Settings(home=tmp_path, mode="production"), subject="u", roles=["admin"], scopes=[]
        )


def test_production_without_an_identity_provider_trusts_no_token(tmp_path: Path) -> None:
    token = mint_token(Settings(home=tmp_path), subject="u", roles=["admin"], scopes=[])
    with pytest.raises(jwt.InvalidTokenError, match="LLWYBR_JWKS_URL"):
        verify(token, Settings(home=tmp_path, mode="production"))
