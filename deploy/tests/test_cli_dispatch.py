"""`llwybr <command>` imports only its command's module: the table it dispatches by must name
every command each module registers, or a command would be missing from its own parser."""

import argparse
import importlib
import subprocess
import sys

import pytest

from llwybr import cli

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("module", list(cli.COMMAND_MODULES))
def test_the_table_names_exactly_the_commands_each_module_registers(module: str) -> None:
    try:
        loaded = importlib.import_module(f"llwybr.{module}")
    except ModuleNotFoundError:
        pytest.skip(f"llwybr.{module} is not built")
    sub = argparse.ArgumentParser().add_subparsers()
    loaded.register(sub)
    assert tuple(sub.choices) == cli.COMMAND_MODULES[module]


def test_the_clock_answers_without_loading_the_other_commands() -> None:
    probe = (
        "import sys; from llwybr import cli;"
        "cli.main(['clock', 'school-decision', '--start', '2026-11-20', '--authority', 'Cardiff']);"
        "print(sorted(m for m in sys.modules if m.startswith('llwybr.') and m.endswith('_cli')))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert "due" in out.stdout
    assert out.stdout.strip().splitlines()[-1] == "['llwybr.clock_cli']"


def test_help_still_lists_every_command() -> None:
    text = cli.build_parser().format_help()
    for commands in cli.COMMAND_MODULES.values():
        for command in commands:
            if command != "serve":
                assert command in text
