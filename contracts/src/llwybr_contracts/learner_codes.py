"""Codes describing where a learner is in education, carried by events from version 2 of
`ReferralReceived` and `CaseOpened` (docs/events.md): never personal data, only the codes the
statutory figures count by (docs/rules.md#statutory-figures).
"""

from enum import StrEnum


class YearGroup(StrEnum):
    """National Curriculum year groups as Welsh Government's school census (PLASC) records
    them: nursery 1 and 2, reception, then years 1 to 14. `none`: a child or young person in
    no school year group (not at school, at an FEI, or in other education or training)."""

    N1 = "N1"
    N2 = "N2"
    R = "R"
    Y1 = "Y1"
    Y2 = "Y2"
    Y3 = "Y3"
    Y4 = "Y4"
    Y5 = "Y5"
    Y6 = "Y6"
    Y7 = "Y7"
    Y8 = "Y8"
    Y9 = "Y9"
    Y10 = "Y10"
    Y11 = "Y11"
    Y12 = "Y12"
    Y13 = "Y13"
    Y14 = "Y14"
    NONE = "none"
    UNKNOWN = "unknown"  # not recorded at referral (older referrals, or not known)


class LanguageOfEducation(StrEnum):
    """The language the learner is taught in, after Welsh Government's categories of schools
    by Welsh-medium provision, simplified to what the learner receives:
    `welsh-medium` (Welsh-medium school, or the Welsh stream of a dual-stream school),
    `bilingual` (taught substantially through both languages, the categories of schools
    that teach through both), `dual-stream` (at a dual-stream school, stream not recorded),
    `english-medium` (English-medium, including schools with some Welsh), `unknown`."""

    WELSH_MEDIUM = "welsh-medium"
    BILINGUAL = "bilingual"
    DUAL_STREAM = "dual-stream"
    ENGLISH_MEDIUM = "english-medium"
    UNKNOWN = "unknown"


# The referral API's first values of `learner.language_of_education`, still accepted.
LANGUAGE_SYNONYMS = {
    "welsh": LanguageOfEducation.WELSH_MEDIUM,
    "english": LanguageOfEducation.ENGLISH_MEDIUM,
}

# Learners who need their provision in Welsh (Estyn's Welsh-medium ALP): Welsh-medium and
# bilingual education.
WELSH_MEDIUM_DEMAND = (LanguageOfEducation.WELSH_MEDIUM, LanguageOfEducation.BILINGUAL)

_SCHOOL_YEARS: list[str] = [
    y.value for y in YearGroup if y not in (YearGroup.NONE, YearGroup.UNKNOWN)
]


def year_group_after(year_group: str, years: int) -> str:
    """The year group `years` school years on (a learner moves up each 1 September); past
    Y14 a learner is in no school year group. `none` and `unknown` stay as they are."""
    if year_group not in _SCHOOL_YEARS or years <= 0:
        return year_group
    i = _SCHOOL_YEARS.index(year_group) + years
    return _SCHOOL_YEARS[i] if i < len(_SCHOOL_YEARS) else YearGroup.NONE.value
