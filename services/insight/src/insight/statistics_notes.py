"""The notes sheet of every export: what each column means, and what the figures rest on."""

from llwybr_clock.rules import RULES

# The rules whose due dates are counted in school days: they rest on a school calendar.
SCHOOL_CALENDAR_RULES = tuple(r.value for r, spec in RULES.items() if spec.needs_school_calendar)

NOTES: tuple[tuple[str, str], ...] = (
    ("rule", "the statutory time limit (docs/rules.md gives the law behind each rule id)"),
    (
        "group",
        "the authority (ONS W06), school, FEI, health board (W11), month or academic "
        "year (1 September to 31 August); 'all' is the total; 'not-recorded' where no event "
        "carried the code",
    ),
    ("completed", "clocks met in the period"),
    ("within_time", "clocks met on or before their statutory due date"),
    ("late", "clocks met after their due date"),
    ("limit_lifted", "clocks met after an exception lifted the time limit (not in the share)"),
    ("within_time_percent", "within_time / (within_time + late), per cent"),
    ("median_days / p90_days", "calendar days from start to met (90th percentile: nearest rank)"),
    ("breaches", "late clocks plus clocks open and past their due date today"),
    ("median_breach_days", "calendar days past the due date, to when met or to today"),
    ("open_*", "clocks open today: running, paused (exception), lifted, overdue"),
    ("exceptions", "clocks paused or lifted, by the exception reason recorded"),
    (
        "statutory tables",
        "current IDPs by maintaining body, year group, language of education; "
        "Welsh-medium provision; referrals by source; decisions; reconsiderations requested "
        "and decided (the authority's decision made: its clock met), by outcome (ALN or "
        "not); disagreements raised, "
        "and concluded by outcome (resolved, not resolved, withdrawn); appeals "
        "lodged and decided, by outcome",
    ),
    (
        "idps_by_year_group",
        "National Curriculum year group (N1, N2, R, Y1-Y14; none: outside school years) given "
        "at the latest referral, moved up one each 1 September since; unknown: not given, or "
        "referred before the code was recorded",
    ),
    (
        "idps_by_language",
        "language of education given at the latest referral: welsh-medium (a Welsh-medium "
        "school or the Welsh stream of a dual-stream school), bilingual, dual-stream (stream "
        "not recorded), english-medium, unknown",
    ),
    (
        "welsh_medium_provision: learners",
        "learners in welsh-medium or bilingual education with a current IDP (the demand); "
        "the row total is the same figure",
    ),
    (
        "welsh_medium_provision: learners-some-provision-in-welsh / learners-no-provision-in-welsh",
        "of them, those whose plan holds at least one item of provision to be provided in "
        "Welsh, and those whose plan holds none",
    ),
    (
        "welsh_medium_provision: learners-provision-not-recorded",
        "of them, those whose plan was last issued or reviewed before the idp service "
        "counted its provision (IdpIssued version 1)",
    ),
    (
        "welsh_medium_provision: items / items-in-welsh",
        "items of provision in those learners' plans, and of them the items to be provided "
        "in Welsh (Act s.10): a count of items, not of learners",
    ),
    (
        "*",
        "suppressed: a figure below 5, or one that would let a suppressed figure be worked "
        "out from the others and the total (secondary suppression)",
    ),
    (
        "illustrative calendars",
        f"the clocks counted in school days ({', '.join(SCHOOL_CALENDAR_RULES)}) rest on the "
        "authorities' school calendars; where an authority's calendar has not been imported the "
        "shipped illustrative calendar was used, so those due dates, and the shares within time "
        "that rest on them, are illustrative; every other rule counts calendar days",
    ),
)
