"""Every workspace package declares, in its pyproject.toml, the workspace packages its source
imports, and no import points down a floor: contracts at the bottom, then clock, then common,
then workflows and the services, with deploy on top. A package installed on its own therefore
brings what it needs, and a circle between floors cannot creep in.
"""

import ast
import re
import tomllib
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]

# Import name -> distribution name of the workspace's shared packages.
SHARED = {
    "llwybr_contracts": "llwybr-contracts",
    "llwybr_clock": "llwybr-clock",
    "llwybr_common": "llwybr-common",
    "llwybr_workflows": "llwybr-workflows",
}
# What each floor may import; a package not named here (deploy, a service) may import any.
MAY_IMPORT = {
    "llwybr-contracts": set(),
    "llwybr-clock": {"llwybr-contracts"},
    "llwybr-common": {"llwybr-contracts", "llwybr-clock"},
    "llwybr-workflows": {"llwybr-contracts", "llwybr-clock", "llwybr-common"},
}


def members() -> list[Path]:
    """The members the `llwybr` script installs (its `members=(...)` array)."""
    script = (ROOT / "llwybr").read_text(encoding="utf-8")
    found = re.search(r"^members=\((.*?)\)", script, re.MULTILINE | re.DOTALL)
    assert found, "the llwybr script no longer lists its members"
    return [ROOT / name for name in found.group(1).split()]


def imported_shared(member: Path) -> set[str]:
    """Distribution names of the shared packages imported anywhere in the member's source."""
    used: set[str] = set()
    for path in (member / "src").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            used |= {SHARED[n.split(".")[0]] for n in names if n.split(".")[0] in SHARED}
    return used


def project(member: Path) -> tuple[str, set[str]]:
    data = tomllib.loads((member / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = {re.split(r"[<>=!~\[; ]", dep, maxsplit=1)[0] for dep in data["dependencies"]}
    return data["name"], declared


def test_the_script_lists_every_package_of_the_workspace() -> None:
    names = {member.relative_to(ROOT).as_posix() for member in members()}
    on_disk = {p.parent.relative_to(ROOT).as_posix() for p in ROOT.glob("*/pyproject.toml")}
    on_disk |= {
        p.parent.relative_to(ROOT).as_posix() for p in ROOT.glob("services/*/pyproject.toml")
    }
    assert names == on_disk


@pytest.mark.parametrize("member", members(), ids=lambda m: m.relative_to(ROOT).as_posix())
def test_a_package_declares_the_workspace_packages_it_imports(member: Path) -> None:
    name, declared = project(member)
    used = imported_shared(member) - {name}
    missing = used - declared
    assert not missing, f"{name} imports {sorted(missing)} without declaring them"


FLOORS = [member for member in members() if project(member)[0] in MAY_IMPORT]


def test_every_floor_is_a_member() -> None:
    assert {project(member)[0] for member in FLOORS} == set(MAY_IMPORT)


@pytest.mark.parametrize("member", FLOORS, ids=lambda m: m.relative_to(ROOT).as_posix())
def test_no_package_reaches_up_a_floor(member: Path) -> None:
    name, declared = project(member)
    upward = ((imported_shared(member) | declared) & set(SHARED.values())) - {name}
    assert upward <= MAY_IMPORT[name], f"{name} reaches up to {sorted(upward - MAY_IMPORT[name])}"
