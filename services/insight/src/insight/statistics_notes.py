"""The notes sheet of every export: what each column means, and what the figures rest on."""

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
        "referrals by source; decisions; reconsiderations; disagreements; appeals",
    ),
    ("year group, language", "no event carries these codes yet: counted as not-recorded"),
    (
        "*",
        "suppressed: a figure below 5, or one that would let a suppressed figure be worked "
        "out from the others and the total (secondary suppression)",
    ),
    (
        "illustrative calendars",
        "school-day clocks (school-decision, la-decision and others "
        "counted in school days) rest on the authorities' school calendars; where an authority's "
        "calendar has not been imported the shipped illustrative calendar was used, so those due "
        "dates, and the shares within time that rest on them, are illustrative",
    ),
)
