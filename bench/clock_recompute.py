"""Bench: recompute 100,000 open clocks after an authority's calendar changes .

    .venv/bin/python bench/clock_recompute.py [--clocks 100000] [--baseline-sample 10000]

A snow closure is added to Cardiff's (illustrative) calendar; every open clock is recomputed on
the new snapshot. The snapshot keeps school days as a sorted tuple of ordinals, so each clock is
a few bisections. Beside it, in the same run, a naive baseline walks each clock day by day over a
set of dates; it is timed on a smaller sample and scaled up (printed as such). Not a test.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import date, timedelta

from llwybr_clock import Pause, ReasonCode, StatutoryClock
from llwybr_clock.calendar import CalendarEntry, Kind, build_snapshot
from llwybr_clock.csv_import import parse_csv
from llwybr_clock.shipped import find_authority, shipped_calendar_text
from llwybr_clock.snapshot import CalendarSnapshot
from llwybr_contracts.vocabulary import RuleId

# (rule, weight): mostly decision clocks, as in a real caseload
MIX = (
    (RuleId.SCHOOL_DECISION, 40),
    (RuleId.LA_DECISION, 15),
    (RuleId.HEALTH_RESPONSE, 15),
    (RuleId.FEI_TAKEOVER_RESPONSE, 5),
    (RuleId.TRIBUNAL_APPEAL, 10),
    (RuleId.LA_RECONSIDER_DECISION, 5),
    (RuleId.IDP_REVIEW, 10),
)
SNOW_DAY = date(2027, 1, 20)
RECORDED = date(2026, 1, 1)


def make_clocks(count: int, snapshot: CalendarSnapshot, seed: int = 3) -> list[StatutoryClock]:
    rng = random.Random(seed)
    rules = [r for r, w in MIX for _ in range(w)]
    first = date(2025, 9, 1).toordinal()
    last = date(2028, 12, 31).toordinal()
    clocks = []
    from datetime import datetime

    at = datetime(2026, 1, 1)
    for _ in range(count):
        start = date.fromordinal(rng.randint(first, last))
        exceptions: tuple[Pause, ...] = ()
        if rng.random() < 0.1:  # one clock in ten has a pause
            p_from = start + timedelta(days=rng.randint(1, 30))
            p_to = p_from + timedelta(days=rng.randint(0, 14))
            exceptions = (Pause(p_from, p_to, ReasonCode.LEARNER_ABSENT, "bench", at),)
        clocks.append(
            StatutoryClock(
                rule=rng.choice(rules), start=start, calendar=snapshot, exceptions=exceptions
            )
        )
    return clocks


def naive_due(clock: StatutoryClock, school_days: set[date], bank: set[date]) -> date | None:
    """The baseline: walk day by day over sets of dates (what per-clock walking costs)."""
    spec = clock.spec
    pauses = [(e.start, e.until) for e in clock.exceptions if isinstance(e, Pause)]

    def paused(day: date) -> bool:
        return any(a <= day <= (b or date.max) for a, b in pauses)

    day = clock.start
    one = timedelta(days=1)
    if spec.needs_school_calendar:
        counted = 0
        while counted < spec.limit:
            day += one
            if day > date(2029, 8, 31):
                raise ValueError("coverage")
            if day in school_days and not paused(day):
                counted += 1
        return day
    if spec.id is RuleId.IDP_REVIEW:
        target = date(day.year + 1, 2, 28) if (day.month, day.day) == (2, 29) else None
        if target is None:
            target = day.replace(year=day.year + 1) - one
        n = (target - day).days
    else:
        n = spec.days_in_limit(spec.limit)
    counted = 0
    while counted < n:
        day += one
        if not paused(day):
            counted += 1
    if spec.id is RuleId.IDP_REVIEW:
        return day
    if spec.id is RuleId.TRIBUNAL_APPEAL:
        day += one
    while day.weekday() >= 5 or day in bank:
        day += one
    return day


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clocks", type=int, default=100_000)
    parser.add_argument("--baseline-sample", type=int, default=10_000)
    args = parser.parse_args()

    cardiff = find_authority("Cardiff")
    entries = parse_csv(shipped_calendar_text(cardiff))
    before = build_snapshot(entries, label=cardiff.name_en, authority=cardiff.ons_code)
    clocks = make_clocks(args.clocks, before)
    old_due = [c.due() for c in clocks]

    t0 = time.perf_counter()
    snowy = build_snapshot(
        [*entries, CalendarEntry(SNOW_DAY, SNOW_DAY, Kind.CLOSURE)],
        label=cardiff.name_en,
        authority=cardiff.ons_code,
    )
    t_build = time.perf_counter() - t0

    t0 = time.perf_counter()
    new_due = [c.on_calendar(snowy).due() for c in clocks]
    t_fast = time.perf_counter() - t0
    moved = sum(1 for a, b in zip(old_due, new_due, strict=True) if a != b)

    school_days = {date.fromordinal(o) for o in snowy.school_days}
    bank = {date.fromordinal(o) for o, _ in snowy.bank_holidays}
    sample = clocks[: args.baseline_sample]
    t0 = time.perf_counter()
    naive = [naive_due(c, school_days, bank) for c in sample]
    t_sample = time.perf_counter() - t0
    assert naive == new_due[: len(sample)], "baseline and snapshot disagree"
    t_naive = t_sample * len(clocks) / len(sample)

    print(f"calendar change: snow closure {SNOW_DAY} added to {cardiff.name_en}")
    print(f"new snapshot built in {t_build * 1000:.0f} ms ({snowy.version})")
    print(f"clocks recomputed: {len(clocks):,} ({moved:,} due dates moved)")
    print(f"bisection snapshot: {t_fast:.3f} s for {len(clocks):,} clocks (target < 2 s)")
    print(
        f"naive day-walk baseline: {t_sample:.3f} s for a sample of {len(sample):,} clocks, "
        f"scaled to {t_naive:.3f} s for {len(clocks):,} (same results on the sample)"
    )
    print(f"ratio: the snapshot is {t_naive / t_fast:.1f}x faster than walking day by day")
    print("target met" if t_fast < 2.0 else "TARGET MISSED")


if __name__ == "__main__":
    main()
