"""`llwybr dev-token` without `--subject` signs as the seeded person of that role and scope, so
their inbox is one command away; a role and scope nobody seeds stays `dev-user`."""

import argparse
from pathlib import Path

import jwt
import pytest

from llwybr import token_cli
from llwybr_common.auth import signing_key, verify
from llwybr_common.settings import Settings


def stack_home(home: Path) -> Path:
    """A home whose stack has made its signing key (services make it on first use)."""
    signing_key(Settings(home=home))
    return home


def subject_of(capsys: pytest.CaptureFixture[str], home: Path, *argv: str) -> str:
    stack_home(home)
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
        [
            "dev-token",
            "--role",
            "wg-analyst",
            "--scope",
            "wales",
            "--home",
            str(stack_home(tmp_path)),
        ]
    )
    assert args.func(args) == 0
    claims = jwt.decode(capsys.readouterr().out.strip(), options={"verify_signature": False})
    assert claims["roles"] == ["wg-analyst"] and claims["llwybr_scopes"] == ["wales"]


def test_a_home_without_a_stack_is_refused_and_no_key_is_made(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A token signed with a key of its own would be refused by every service of the stack."""
    parser = argparse.ArgumentParser()
    token_cli.register(parser.add_subparsers())
    args = parser.parse_args(["dev-token", "--role", "la-officer", "--home", str(tmp_path)])
    assert args.func(args) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"no Llwybr stack in {tmp_path}" in captured.err and "--home" in captured.err
    assert not (tmp_path / "keys").exists()


def test_the_token_verifies_with_the_stacks_own_key(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    settings = Settings(home=stack_home(tmp_path))
    parser = argparse.ArgumentParser()
    token_cli.register(parser.add_subparsers())
    args = parser.parse_args(
        ["dev-token", "--role", "la-officer", "--scope", "W06000015", "--home", str(tmp_path)]
    )
    assert args.func(args) == 0
    principal = verify(capsys.readouterr().out.strip(), settings)
    assert principal.roles == frozenset({"la-officer"})
