"""Is an outcome written so progress can be measured? (Act s.10(2); the Code asks for
outcomes that are specific and measurable; Estyn found too many that are not.)

Pure: an outcome is flagged for each thing it lacks (something to measure, a baseline, a target,
a date) and for wording that names no measurable change ("improve confidence", "gwella
hyder"). Flags warn the author with the reason; they never block issue (docs/rules.md
section 6).
"""

import re
from dataclasses import dataclass
from datetime import date

# Words that describe a direction rather than a result, in English and Welsh. An outcome built
# on one of them with no number in it cannot show progress.
VAGUE_WORDS = (
    # English
    r"improv\w*",
    r"increas\w*",
    r"develop\w*",
    r"better",
    r"confiden\w*",
    r"enjoy\w*",
    r"happ\w*",
    r"more\s+\w+",
    r"aware\w*",
    r"understand\w*",
    r"support\w*",
    # Cymraeg (with the mutated forms a sentence produces)
    r"[gn]?wella\w*",
    r"[dn]?datblyg\w*",
    r"ddatblyg\w*",
    r"[ch]?hyder\w*",
    r"hyderus",
    r"mwy\s+\w+",
    r"[dn]?deall\w*",
    r"fwynhau|mwynhau",
    r"hapus\w*",
    r"[ch]?cynyddu|gynyddu|nghynyddu",
    r"ymwybydd\w*",
    r"cefnogi|gefnogi",
)
_VAGUE = re.compile(r"\b(" + "|".join(VAGUE_WORDS) + r")\b", re.IGNORECASE | re.UNICODE)
_NUMBER = re.compile(r"\d")

FLAG_CODES = ("no-measure", "no-baseline", "no-target", "no-date", "vague-wording")


@dataclass(frozen=True)
class OutcomeText:
    outcome: str
    measure: str | None = None
    baseline: str | None = None
    target: str | None = None
    outcome_date: date | None = None


def _blank(value: str | None) -> bool:
    return not (value or "").strip()


def vague_wording(text: str) -> bool:
    """A direction ("improve", "gwella") with no number anywhere in the sentence."""
    return bool(_VAGUE.search(text)) and not _NUMBER.search(text)


def outcome_flags(o: OutcomeText) -> list[str]:
    """The reasons an outcome cannot show progress, as codes (`idp.flag.<code>` texts)."""
    flags = []
    if _blank(o.measure):
        flags.append("no-measure")
    if _blank(o.baseline):
        flags.append("no-baseline")
    if _blank(o.target):
        flags.append("no-target")
    if o.outcome_date is None:
        flags.append("no-date")
    # A vague outcome sentence is rescued by a numeric target: the target is what is measured.
    if vague_wording(o.outcome) and (_blank(o.target) or not _NUMBER.search(o.target or "")):
        flags.append("vague-wording")
    return flags
