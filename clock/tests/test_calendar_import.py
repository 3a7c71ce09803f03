"""Calendar import, validation, precedence and snapshots (docs/rules.md s.3)."""

from __future__ import annotations

import pytest
from clock_helpers import d, fixture_text, sir_enghraifft

from llwybr_clock import CalendarError, CoverageError, StatutoryClock
from llwybr_clock.calendar import CalendarEntry, Kind, build_snapshot
from llwybr_clock.csv_import import parse_csv
from llwybr_clock.ics_import import kind_from_summary, parse_ics

pytestmark = pytest.mark.unit


def test_fixture_calendar_school_days() -> None:
    snap = sir_enghraifft()
    assert (snap.first, snap.last) == (d("2026-09-02"), d("2027-07-21"))
    assert not snap.is_school_day(d("2026-09-02").toordinal())  # INSET beats term
    assert snap.is_school_day(d("2026-09-03").toordinal())
    assert not snap.is_school_day(d("2027-05-03").toordinal())  # early May bank holiday
    assert not snap.illustrative


def test_version_is_a_content_hash() -> None:
    again = build_snapshot(parse_csv(fixture_text()), label="Sir Enghraifft")
    assert again.version == sir_enghraifft().version
    closed = build_snapshot(
        [*parse_csv(fixture_text()), CalendarEntry(d("2027-01-20"), d("2027-01-20"), Kind.CLOSURE)],
        label="Sir Enghraifft",
    )
    assert closed.version != sir_enghraifft().version
    assert closed.reason_not_school_day(d("2027-01-20").toordinal()) == "closure"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("start,end,kind\n2026-09-01,2026-10-23,term\n2026-10-20,2026-12-18,term\n",
         "line 3: term 2026-10-20 to 2026-12-18 overlaps the term 2026-09-01 to 2026-10-23"),
        ("2026-09-05,2026-09-06,term\n", "line 1: term 2026-09-05 to 2026-09-06 has no school"),
        ("2026-09-01,2026-09-04,term\n2026-09-01,2026-09-04,inset\n", "line 1: term .* no school"),
        ("start,end,kind\n2026-09-01,2026-13-01,term\n", "line 2: unreadable end date"),
        ("2026-09-01,2026-09-04,holidays\n", "line 1: unknown kind 'holidays'"),
        ("2026-09-04,2026-09-01,term\n", "line 1: term ends 2026-09-01 before it starts"),
        ("2026-09-04,term\n", "line 1: expected start,end,kind"),
    ],
)  # fmt: skip
def test_csv_errors_name_the_line(text: str, message: str) -> None:
    with pytest.raises(CalendarError, match=message):
        parse_csv(text)


def test_per_school_rows_add_to_the_authority_calendar() -> None:
    text = (
        fixture_text()
        + "2026-11-20,2026-11-20,closure,ysgol-1\n2026-11-23,2026-11-23,inset,ysgol-2\n"
    )
    entries = parse_csv(text)
    school = build_snapshot(entries, label="Sir Enghraifft", school="ysgol-1")
    authority = build_snapshot(entries, label="Sir Enghraifft")
    assert not school.is_school_day(d("2026-11-20").toordinal())
    assert school.is_school_day(d("2026-11-23").toordinal())  # another school's INSET
    assert authority.is_school_day(d("2026-11-20").toordinal())
    # one more closed school day moves the school's clock one school day on
    start = d("2026-11-10")
    base = StatutoryClock(rule="school-decision", start=start, calendar=authority).due()
    assert base == d("2027-01-14")
    assert StatutoryClock(rule="school-decision", start=start, calendar=school).due() == d(
        "2027-01-15"
    )


ICS = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//EN
BEGIN:VEVENT
UID:t1
SUMMARY:Tymor yr Hydref / Autumn term
DTSTART;VALUE=DATE:20260902
DTEND;VALUE=DATE:20261024
END:VEVENT
BEGIN:VEVENT
UID:h1
SUMMARY:Half Term Holiday
DTSTART;VALUE=DATE:20261026
DTEND;VALUE=DATE:20261031
END:VEVENT
BEGIN:VEVENT
UID:t2
SUMMARY:Something
CATEGORIES:term
DTSTART;VALUE=DATE:20261102
DTEND;VALUE=DATE:20261223
END:VEVENT
BEGIN:VEVENT
UID:i1
SUMMARY:Staff training (HMS)
DTSTART;VALUE=DATE:20261113
END:VEVENT
BEGIN:VEVENT
UID:c1
SUMMARY:School closed - term boiler
DTSTART;VALUE=DATE:20261208
DTEND;VALUE=DATE:20261209
END:VEVENT
END:VCALENDAR
"""


def test_ics_import() -> None:
    entries = {e.source.split()[2]: e for e in parse_ics(ICS)}
    assert entries["t1"].kind is Kind.TERM
    assert (entries["t1"].start, entries["t1"].end) == (d("2026-09-02"), d("2026-10-23"))  # DTEND
    assert entries["h1"].kind is Kind.HOLIDAY  # "Half Term Holiday" is a holiday
    assert entries["t2"].kind is Kind.TERM  # CATEGORIES names the kind
    assert (entries["i1"].kind, entries["i1"].end) == (Kind.INSET, d("2026-11-13"))  # no DTEND
    assert entries["c1"].kind is Kind.CLOSURE  # closure beats the "term" keyword
    snap = build_snapshot(parse_ics(ICS), label="ics")
    assert not snap.is_school_day(d("2026-12-08").toordinal())
    assert snap.is_school_day(d("2026-12-09").toordinal())


@pytest.mark.parametrize(
    ("summary", "kind"),
    [
        ("Ar gau: eira", Kind.CLOSURE),
        ("INSET day", Kind.INSET),
        ("Gwyliau'r Pasg", Kind.HOLIDAY),
        ("Hanner tymor", Kind.HOLIDAY),
        ("Christmas break", Kind.HOLIDAY),
        ("Spring Term", Kind.TERM),
        ("Sports day", None),
    ],
)
def test_summary_keywords_in_order(summary: str, kind: Kind | None) -> None:
    assert kind_from_summary(summary) == kind


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ("UID:x9\nSUMMARY:Sports day\nDTSTART;VALUE=DATE:20261102\n", "event UID x9 'Sports day'"),
        ("UID:x8\nSUMMARY:Term\nDTSTART;VALUE=DATE:20261102\nDTEND;VALUE=DATE:20261101\n",
         "event UID x8 'Term': ends 2026-11-01 before it starts"),
        ("UID:x7\nSUMMARY:Term\nDTSTART;VALUE=DATE:20261107\nDTEND;VALUE=DATE:20261109\n",
         "event UID x7 'Term': term 2026-11-07 to 2026-11-08 has no school days"),
    ],
)  # fmt: skip
def test_ics_errors_name_the_event(event: str, message: str) -> None:
    text = f"BEGIN:VCALENDAR\nVERSION:2.0\nBEGIN:VEVENT\n{event}END:VEVENT\nEND:VCALENDAR\n"
    with pytest.raises(CalendarError, match=message):
        parse_ics(text)


def test_unreadable_ics() -> None:
    with pytest.raises(CalendarError):
        parse_ics("BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:2026xx02\nEND:VEVENT\n")


def test_school_day_rule_never_falls_back_to_weekdays() -> None:
    from llwybr_clock.calendar import bank_holiday_snapshot

    clock = StatutoryClock(
        rule="school-decision", start=d("2026-11-10"), calendar=bank_holiday_snapshot(2026, 2027)
    )
    with pytest.raises(CoverageError, match="no term dates"):
        clock.due()


def test_snapshot_round_trips_as_plain_data() -> None:
    from llwybr_clock import CalendarSnapshot

    snap = sir_enghraifft()
    again = CalendarSnapshot.from_dict(snap.to_dict())
    assert again == snap
    assert again.school_days == snap.school_days
    assert again.bank_holidays == snap.bank_holidays
