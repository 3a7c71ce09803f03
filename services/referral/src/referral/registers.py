"""Reading a register shipped with the service (schools, FEIs): a CSV in `referral/data`, or
the file an environment variable names (a real register in the same format). Lines starting
with `#` are comments (the shipped files say what is illustrative in them)."""

import csv
import io
import os
from importlib import resources
from pathlib import Path


def register_rows(shipped: str, override_env: str) -> list[dict[str, str]]:
    path = os.environ.get(override_env)
    text = (
        Path(path).read_text(encoding="utf-8")
        if path
        else (resources.files("referral") / "data" / shipped).read_text(encoding="utf-8")
    )
    lines = (line for line in text.splitlines(True) if not line.startswith("#"))
    return list(csv.DictReader(io.StringIO("".join(lines))))
