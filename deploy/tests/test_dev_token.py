"""`llwybr dev-token` without `--subject` signs as the seeded person of that role and scope, so
their inbox is one command away; a role and scope nobody seeds stays `dev-user`."""

import argparse
from pathlib import Path

import jwt
import pytest

from llwybr import token_cli


def subject_of(capsys: pytest.CaptureFixture[str], home: Path, *argv: str) -> str:
    parser = argparse.ArgumentParser()
    token_cli.register(parser.add_subparsers())
    args = parser.parse_args(["dev-token", *argv, "--home", str(home)])
    assert args.func(args) == 0
    claims = jwt.decode(capsys.readouterr().out.strip(), options={"verify_signature": False})
    return str(claims["sub"])


def test_the_seeded_person_of_the_role_and_scope(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert subject_of(capsys, tmp_path, "--role", "la-manager", "--scope", "la:W06000015") == (
        "la-manager.cardiff"
    )
    # A bare ONS code names the same scope.
    assert subject_of(capsys, tmp_path, "--role", "declo", "--scope", "W11000029") == "declo.cav"
    assert subject_of(capsys, tmp_path, "--role", "declo", "--scope", "W11000031") == "dev-user"
    assert (
        subject_of(capsys, tmp_path, "--role", "declo", "--scope", "W11000029", "--subject", "x")
        == "x"
    )


def test_a_national_analyst_token_carries_the_wales_scope(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    parser = argparse.ArgumentParser()
    token_cli.register(parser.add_subparsers())
    args = parser.parse_args(
        ["dev-token", "--role", "wg-analyst", "--scope", "wales", "--home", str(tmp_path)]
    )
    assert args.func(args) == 0
    claims = jwt.decode(capsys.readouterr().out.strip(), options={"verify_signature": False})
    assert claims["roles"] == ["wg-analyst"] and claims["llwybr_scopes"] == ["wales"]
