"""`llwybr clock` and `llwybr calendar`: the statutory clock from the command line.

The contract reports and scripts rely on: bad input prints a specific message to
stderr and exits 2. "Today" is today in Wales (Europe/London), computed here, never in the clock.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from llwybr.calendar_events import Unreachable, on_store
from llwybr_clock import (
    RULES,
    ClockError,
    ClockException,
    Lift,
    Pause,
    ReasonCode,
    StatutoryClock,
    rule_for,
)
from llwybr_clock.calendar import bank_holiday_snapshot, build_snapshot
from llwybr_clock.csv_import import is_illustrative
from llwybr_clock.formats import guess_format, parse_calendar
from llwybr_clock.shipped import authorities, find_authority
from llwybr_clock.snapshot import CalendarSnapshot
from llwybr_clock.wales import WALES, today_in_wales
from llwybr_workflows.calendar_snapshots import SHIPPED

if TYPE_CHECKING:
    from llwybr_contracts.clock_answer import ClockAnswer
    from llwybr_workflows.calendar_store import CalendarStore

CLI_ACTOR = "cli"
# What this module imports is what `llwybr clock` waits for: SQLAlchemy, the stack's clients
# and the Kafka and Temporal SDKs come in (through calendar_events) only on the paths that
# read or write the stack's database (deploy/tests/test_clock_cli_imports.py).


def _home(args: argparse.Namespace) -> Path:
    return Path(getattr(args, "home", None) or os.environ.get("LLWYBR_HOME") or ".llwybr")


def load_snapshot(
    authority: str, school: str | None = None, *, home: Path | None = None
) -> CalendarSnapshot:
    """The calendar clocks count on: the journey's store when a stack (or
    LLWYBR_DATABASE_URL) is there, else the shipped calendars (nothing imported)."""
    asked, found = on_store(
        home or _home(argparse.Namespace()), lambda store: store.snapshot(authority, school)
    )
    if asked and found is not None:
        return found
    return SHIPPED.snapshot_now(authority, school)


class BadInput(Exception):
    """Bad command-line input: printed as is, exit status 2."""


def _parse_date(value: str, what: str) -> date:
    try:
        if len(value) != 10:
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise BadInput(f"malformed date for {what}: {value!r} (expected YYYY-MM-DD)") from None


def _recorded_at(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=WALES)


def _parse_pause(value: str, reason: ReasonCode) -> Pause:
    if ":" not in value:
        raise BadInput(
            f"malformed pause {value!r} (expected FROM:TO, or FROM: for a pause still open)"
        )
    first, _, last = value.partition(":")
    start = _parse_date(first, "--pause")
    until = _parse_date(last, "--pause") if last else None
    if until is not None and until < start:
        raise BadInput(
            f"pause {value} ends {until.isoformat()} before it starts {start.isoformat()}"
        )
    return Pause(start, until, reason, CLI_ACTOR, _recorded_at(start))


def _reason(value: str) -> ReasonCode:
    try:
        return ReasonCode(value)
    except ValueError:
        valid = ", ".join(r.value for r in ReasonCode)
        raise BadInput(f"unknown reason {value!r}; valid reasons: {valid}") from None


def _calendar_from_file(path_text: str, authority: str | None, school: str | None):
    path = Path(path_text)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BadInput(f"cannot read calendar file {path_text}: {exc.strerror}") from None
    entries = parse_calendar(text, guess_format(path.name, text), school=None)
    found = find_authority(authority) if authority else None
    return build_snapshot(
        entries,
        label=found.name_en if found else path.name,
        authority=found.ons_code if found else None,
        school=school,
        illustrative=is_illustrative(text),
    )


def _snapshot(args: argparse.Namespace, rule_id: str, start: date) -> CalendarSnapshot | None:
    rule = rule_for(rule_id)
    if rule.needs_school_calendar:
        if args.calendar:
            return _calendar_from_file(args.calendar, args.authority, args.school)
        if not args.authority:
            raise BadInput(
                f"{rule.id} counts {rule.unit} on a school calendar: give --authority "
                "CODE_OR_NAME or --calendar FILE"
            )
        return load_snapshot(args.authority, args.school, home=_home(args))
    if args.authority:
        find_authority(args.authority)  # still reject an unknown authority
    if rule.needs_bank_holidays:
        # weeks rules need only Welsh bank holidays (Regs reg 2(4)), not term dates
        return bank_holiday_snapshot(start.year, start.year + 3)
    return None


def _history(clock: StatutoryClock) -> list[dict[str, Any]]:
    out = []
    for entry in clock.history():
        exc = entry.exception
        if isinstance(exc, Pause):
            first, last = exc.start, exc.until
        else:
            first, last = exc.on, None
        out.append(
            {
                "exception": exc.kind,
                "reason": exc.reason.value,
                "first": first,
                "last": last,
                "due_before": entry.due_before,
                "due_after": entry.due_after,
            }
        )
    return out


def answer_fields(clock: StatutoryClock, on: date, authority: str | None) -> dict[str, Any]:
    """The fields of a `ClockAnswer`, plain: the text answer needs no pydantic (a quarter of a
    second to import), `--json` validates them into the contract's model."""
    explanation = clock.explain()
    cal = clock.calendar
    covers = [cal.first, cal.last] if cal and cal.first and cal.last else None
    return {
        "rule": clock.rule,
        "start": clock.start,
        "on": on,
        "due": clock.due(on),
        "unit": clock.unit.value,
        "count_unit": clock.spec.count_unit.value,
        "status": clock.status(on).value,
        "limit": clock.limit,
        "warnings": list(clock.warnings(on)),
        "citation": clock.citation,
        "basis": clock.basis.value,
        "assumed_conventions": list(clock.assumed_conventions),
        "assumed": clock.assumed,
        "illustrative_calendar": bool(cal and cal.illustrative),
        "calendar_version": clock.calendar_version,
        "calendar": cal.label if cal else None,
        "calendar_covers": covers,
        "authority": authority,
        "school": cal.school if cal else None,
        "disagreement_resolution": clock.disagreement_resolution,
        "who_acts": clock.spec.who_acts,
        "met_on": clock.met_on,
        "days_late": clock.days_late(),
        "days_elapsed": clock.days_elapsed(on),
        "days_remaining": clock.days_remaining(on),
        "explanation": [
            {
                "first": s.first,
                "last": s.last,
                "days": s.days,
                "counted": s.counted,
                "reason": s.reason.value if s.reason else None,
            }
            for s in explanation.spans()
        ],
        "steps": list(explanation.steps),
        "history": _history(clock),
    }


def answer(clock: StatutoryClock, on: date, authority: str | None) -> ClockAnswer:
    from llwybr_contracts.clock_answer import ClockAnswer

    return ClockAnswer.model_validate(answer_fields(clock, on, authority))


def _as_attributes(value: Any) -> Any:
    """Plain fields read like the model's attributes (render_text reads either)."""
    if isinstance(value, dict):
        return SimpleNamespace(**{k: _as_attributes(v) for k, v in value.items()})
    if isinstance(value, list):
        return [_as_attributes(v) for v in value]
    return value


def _d(day: date | None) -> str:
    return day.strftime("%a %d %b %Y") if day else "none"


_REASON_TEXT = {
    "weekend": "weekend",
    "bank-holiday": "Welsh bank holiday",
    "holiday": "school holiday",
    "inset": "INSET (training) day",
    "closure": "closure",
    "outside-term": "not in a term",
    "paused": "paused",
    "roll-over": "rolled over to the next working day",
}


def render_text(a: ClockAnswer | SimpleNamespace) -> str:
    unit = a.unit.replace("-", " ")
    lines = [
        f"{a.rule}: {a.who_acts}",
        f"  limit {a.limit} {unit} ({a.citation}; basis: {a.basis})",
        f"  start {_d(a.start)}",
        f"  due   {_d(a.due)}" + ("" if a.due else " (paused or lifted: no statutory date)"),
        f"  status on {_d(a.on)}: {a.status}; {a.days_elapsed} {a.count_unit.replace('-', ' ')}"
        " counted" + (f", {a.days_remaining} to go" if a.days_remaining is not None else ""),
        "  warnings: " + (", ".join(_d(w) for w in a.warnings) or "none"),
    ]
    if a.met_on is not None:
        late = f", {a.days_late} day(s) late: outside the time limit" if a.days_late else ""
        lines.append(f"  met {_d(a.met_on)}{late}")
    if a.calendar_version:
        lines.append(f"  calendar: {a.calendar} ({a.calendar_version})")
    if a.illustrative_calendar:
        lines.append(
            "  ILLUSTRATIVE calendar: not the authority's published term dates; import the "
            "real calendar with `llwybr calendar import`"
        )
    if a.assumed:
        conventions = ", ".join(a.assumed_conventions) or "none"
        lines.append(f"  ASSUMED: basis {a.basis}; assumed conventions: {conventions}")
    lines.append("How the date was reached:")
    for step in a.steps:
        lines.append(f"  - {step}")
    for span in a.explanation:
        when = span.first.isoformat()
        if span.last != span.first:
            when += f" to {span.last.isoformat()}"
        if span.counted:
            what = "counted"
        elif span.reason == "roll-over":
            what = "after the period: on to the working day the clock is due"
        else:
            what = f"skipped: {_REASON_TEXT.get(span.reason or '')}"
        lines.append(f"    {when:<26} {span.days:>3} day(s) {what}")
    for h in a.history:
        lines.append(
            f"  history: {h.exception} {h.first.isoformat()}"
            + (f" to {h.last.isoformat()}" if h.last else "")
            + f" ({h.reason}): due {h.due_before or 'none'} -> {h.due_after or 'none'}"
        )
    return "\n".join(lines)


def _list_rules() -> str:
    lines = []
    for rule in RULES.values():
        extra = f" (or {rule.extended_limit})" if rule.extended_limit else ""
        lines.append(
            f"{rule.id:<28} {rule.limit}{extra} {rule.unit:<12} [{rule.basis}] {rule.citation}"
        )
    return "\n".join(lines)


def run_clock(args: argparse.Namespace) -> int:
    if args.list:
        print(_list_rules())
        return 0
    if not args.rule:
        raise BadInput(f"give a RULE (or --list); valid rules: {', '.join(RULES)}")
    rule_for(args.rule)
    if not args.start:
        raise BadInput("give --start YYYY-MM-DD (the date of the triggering event)")
    start = _parse_date(args.start, "--start")
    on = _parse_date(args.on, "--on") if args.on else today_in_wales()
    reason = _reason(args.reason)
    exceptions: list[ClockException] = [_parse_pause(p, reason) for p in args.pause or ()]
    if args.lift:
        lift_on = _parse_date(args.lift, "--lift")
        exceptions.append(Lift(lift_on, reason, CLI_ACTOR, _recorded_at(lift_on)))
    met_on = _parse_date(args.met, "--met") if args.met else None
    calendar = _snapshot(args, args.rule, start)
    clock = StatutoryClock(
        rule=args.rule,
        start=start,
        calendar=calendar,
        exceptions=tuple(exceptions),
        disagreement_resolution=args.disagreement_resolution,
        met_on=met_on,
    )
    clock.due()  # coverage and calendar errors surface here
    authority = find_authority(args.authority).ons_code if args.authority else None
    if args.json:
        print(answer(clock, on, authority).model_dump_json())
    else:
        print(render_text(_as_attributes(answer_fields(clock, on, authority))))
    return 0


def run_calendar_import(args: argparse.Namespace) -> int:
    path = Path(args.file)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BadInput(f"cannot read calendar file {args.file}: {exc.strerror}") from None
    fmt = guess_format(path.name, text)

    async def store_it(store: CalendarStore) -> CalendarSnapshot:
        return await store.import_calendar(text, fmt, args.authority, args.school)

    find_authority(args.authority)  # an unknown authority is bad input with or without a stack
    parse_calendar(text, fmt, school=args.school)  # so is a bad file
    asked, snapshot = on_store(_home(args), store_it)
    if not asked or snapshot is None:
        raise BadInput(
            f"no database to import into: calendars live in the journey's database; start a "
            f"stack (`llwybr up --home {_home(args)}`) or set LLWYBR_DATABASE_URL"
        )
    scope = f" school {args.school}" if args.school else ""
    print(
        f"imported {path.name} for {snapshot.label}{scope}: version {snapshot.version}, "
        f"covers {snapshot.covered_range()}, {len(snapshot.school_days)} school days"
    )
    print(f"CalendarChanged queued: open clocks of {snapshot.label} will be recomputed")
    return 0


def _parse_year(value: str) -> tuple[date, date]:
    try:
        first, second = value.split("/")
        y = int(first)
        if len(first) != 4 or int(second) % 100 != (y + 1) % 100:
            raise ValueError
    except ValueError:
        raise BadInput(f"malformed academic year {value!r} (expected e.g. 2026/27)") from None
    return date(y, 9, 1), date(y + 1, 8, 31)


def run_calendar_show(args: argparse.Namespace) -> int:
    first, last = _parse_year(args.year)
    snapshot = load_snapshot(args.authority, args.school, home=_home(args))
    assert snapshot.first is not None and snapshot.last is not None
    if last < snapshot.first or first > snapshot.last:
        raise BadInput(
            f"no term dates for {snapshot.label} in {args.year} "
            f"(the calendar covers {snapshot.covered_range()})"
        )
    first, last = max(first, snapshot.first), min(last, snapshot.last)
    print(f"{snapshot.label} ({snapshot.authority}) {args.year}: calendar {snapshot.version}")
    if snapshot.illustrative:
        print("ILLUSTRATIVE calendar: not the authority's published term dates")
    spans: list[list[Any]] = []  # [first, last, label, school days]
    day = first
    while day <= last:
        ordinal = day.toordinal()
        if snapshot.is_school_day(ordinal):
            label = "school days"
        else:
            reason = snapshot.reason_not_school_day(ordinal).value
            label = "weekend" if reason == "weekend" else _REASON_TEXT[reason]
        if label == "weekend":
            pass  # a span carries on across a weekend
        elif spans and spans[-1][2] == label and (day - spans[-1][1]).days <= 3:
            spans[-1][1] = day
        else:
            spans.append([day, day, label, 0])
        if label == "school days":
            spans[-1][3] += 1
        day += timedelta(days=1)
    total = 0
    for a, b, label, n in spans:
        count = f" ({n})" if n else ""
        print(f"  {a.isoformat()} to {b.isoformat()}  {label}{count}")
        total += n
    print(f"  {total} school days")
    return 0


def run_calendar_changes(args: argparse.Namespace) -> int:
    asked, found = on_store(_home(args), lambda store: store.changes(args.authority))
    if not asked:
        raise BadInput("no database: start a stack (`llwybr up`) or set LLWYBR_DATABASE_URL")
    for c in found or ():
        school = f" school {c.school}" if c.school else ""
        print(
            f"{c.imported_at:%Y-%m-%d %H:%M} {c.authority}{school} {c.format} "
            f"{c.calendar_version} ({c.source})"
        )
    return 0


_HOME_HELP = "the stack's state directory (default: $LLWYBR_HOME or ./.llwybr)"


def run_calendar_authorities(args: argparse.Namespace) -> int:
    for a in authorities():
        print(f"{a.ons_code}  {a.name_en} / {a.name_cy}")
    return 0


def _guarded(func: Any) -> Any:
    def run(args: argparse.Namespace) -> int:
        try:
            return int(func(args))
        except (BadInput, ClockError, Unreachable) as exc:
            print(f"llwybr {args.command}: {exc}", file=sys.stderr)
            return 2

    return run


def register(subparsers: Any) -> None:
    clock = subparsers.add_parser(
        "clock",
        help="a statutory clock: due date, status, warnings and why",
        description="Compute a statutory ALN clock (docs/rules.md s.1).",
    )
    clock.add_argument("rule", nargs="?", metavar="RULE", help="rule id (see --list)")
    clock.add_argument("--list", action="store_true", help="list the rules")
    clock.add_argument("--start", metavar="YYYY-MM-DD", help="date of the triggering event")
    clock.add_argument("--authority", metavar="CODE_OR_NAME", help="ONS code or name")
    clock.add_argument("--school", metavar="REF", help="add this school's calendar rows")
    clock.add_argument("--calendar", metavar="FILE", help="CSV or .ics calendar to use instead")
    clock.add_argument(
        "--pause",
        action="append",
        metavar="FROM:TO",
        help="pause, both dates inclusive; FROM: is a pause still open (repeatable)",
    )
    clock.add_argument("--lift", metavar="YYYY-MM-DD", help="lift the limit from this date")
    clock.add_argument(
        "--reason", default="other", help="reason code for --pause/--lift (default other)"
    )
    clock.add_argument(
        "--disagreement-resolution",
        action="store_true",
        help="tribunal-appeal: s.68 disagreement resolution used (8 weeks become 16)",
    )
    clock.add_argument("--met", metavar="YYYY-MM-DD", help="the duty was done on this date")
    clock.add_argument("--on", metavar="YYYY-MM-DD", help="status on this date (default today)")
    clock.add_argument("--json", action="store_true", help="print one JSON object")
    clock.add_argument("--home", type=Path, help=_HOME_HELP + "; its calendars are used")
    clock.set_defaults(func=_guarded(run_clock))

    calendar = subparsers.add_parser("calendar", help="school calendars: import, show")
    sub = calendar.add_subparsers(dest="calendar_command", metavar="ACTION")
    imp = sub.add_parser("import", help="import a CSV or .ics calendar for an authority")
    imp.add_argument("file", metavar="FILE")
    imp.add_argument("--authority", required=True, metavar="CODE_OR_NAME")
    imp.add_argument("--school", metavar="REF")
    imp.add_argument("--home", type=Path, help=_HOME_HELP)
    imp.set_defaults(func=_guarded(run_calendar_import))
    show = sub.add_parser("show", help="show an authority's calendar for an academic year")
    show.add_argument("--authority", required=True, metavar="CODE_OR_NAME")
    show.add_argument("--year", required=True, metavar="YYYY/YY")
    show.add_argument("--school", metavar="REF")
    show.add_argument("--home", type=Path, help=_HOME_HELP)
    show.set_defaults(func=_guarded(run_calendar_show))
    changes = sub.add_parser("changes", help="the latest calendar imports, newest first")
    changes.add_argument("--authority", metavar="CODE_OR_NAME")
    changes.add_argument("--home", type=Path, help=_HOME_HELP)
    changes.set_defaults(func=_guarded(run_calendar_changes))
    auth = sub.add_parser("authorities", help="list the 22 authorities and their ONS codes")
    auth.set_defaults(func=_guarded(run_calendar_authorities))
