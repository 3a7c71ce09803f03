"""The people file: who works in which role and scope, with their language and channels.

One CSV format for every reader: embedded mode seeds its illustrative people from
`deploy`'s copy (the console's sign-in, `llwybr dev-token` and the notifications service's
recipients read the same file), and an authority loads its own staff list the same way.
Columns: subject, role, scope, name, email, language (cy|en|both), channels (`in-app;email`),
digest (true|false). Lines starting with `#` are comments.
"""

import csv
import io
from dataclasses import dataclass
from pathlib import Path

COLUMNS = ("subject", "role", "scope", "name", "email", "language", "channels", "digest")


class PeopleFileError(ValueError):
    """A row that cannot be read; says which line and which column."""

    def __init__(self, line: int, column: str, reason: str) -> None:
        super().__init__(f"line {line}, {column}: {reason}")
        self.line, self.column, self.reason = line, column, reason


@dataclass(frozen=True)
class Person:
    subject: str
    role: str
    scope: str
    name: str
    email: str
    language: str
    channels: tuple[str, ...]
    digest: bool
    line: int = 0


def parse_people(text: str) -> list[Person]:
    """Every person of a people CSV, in file order (columns checked, values not: the reader
    that stores them validates them as it would any other input)."""
    numbered = [
        (n, line)
        for n, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not numbered:
        return []
    reader = csv.DictReader(io.StringIO("\n".join(line for _, line in numbered)))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise PeopleFileError(numbered[0][0], ",".join(missing), "missing column")
    people = []
    for (line, _), row in zip(numbered[1:], reader, strict=True):
        digest = (row["digest"] or "").strip().lower()
        if digest not in ("true", "false", ""):
            raise PeopleFileError(line, "digest", "true or false")
        people.append(
            Person(
                subject=(row["subject"] or "").strip(),
                role=(row["role"] or "").strip(),
                scope=(row["scope"] or "").strip(),
                name=(row["name"] or "").strip(),
                email=(row["email"] or "").strip(),
                language=(row["language"] or "").strip(),
                channels=tuple(c.strip() for c in (row["channels"] or "").split(";") if c.strip()),
                digest=digest == "true",
                line=line,
            )
        )
    return people


def read_people(path: Path) -> list[Person]:
    return parse_people(path.read_text(encoding="utf-8"))


def seeded_subject(people: list[Person], role: str, scope: str) -> str | None:
    """The first person of `role` in `scope` (what `dev-token` signs as without --subject)."""
    for person in people:
        if person.role == role and person.scope == scope:
            return person.subject
    return None
