"""Dates that cannot be: the bounds every date a person enters is checked against, pure (no
I/O, no wall clock), one home for every entry point (referral intake and commands, the
journey's update validators). docs/rules.md, "Dates that cannot be".

- A step on a case happens on or after the referral that opened it (the matter came to
  attention) and never before the learner was born.
- A fact recorded has happened: not after today in Wales, unless the step may be planned (a
  pause or lift of a clock).
- The Act covers learners from birth to 25 (its young person is over compulsory school age and
  under 25; docs/rules.md s.4, s.6 Age): a learner 25 or over on the date of attention is
  outside it.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

ACT_AGE_LIMIT = 25  # the Act's young person is under 25 (docs/rules.md s.4)

# Why a date was refused (field reason `dates.<code>` in the catalogues; params day, bound).
BEFORE_BIRTH = "before-birth"
BEFORE_REFERRAL = "before-referral"
BEFORE_DECISION = "before-decision"
IN_FUTURE = "in-future"
BIRTH_IN_FUTURE = "birth-in-future"
AGE_LIMIT = "age-25-or-over"


@dataclass(frozen=True)
class DateProblem:
    field: str
    code: str  # one of the codes above
    day: date
    bound: date  # the earliest (or latest) day the field may take

    def params(self) -> dict[str, str]:
        return {"day": self.day.isoformat(), "bound": self.bound.isoformat()}


def birthday(born: date, years: int) -> date:
    """The day the learner turns `years` (born 29 February: 1 March in a common year)."""
    try:
        return born.replace(year=born.year + years)
    except ValueError:
        return date(born.year + years, 3, 1)


def earliest_birth(on: date) -> date:
    """The earliest birth date of a learner under 25 on `on` (inverse of `birthday`)."""
    try:
        first = on.replace(year=on.year - ACT_AGE_LIMIT)
    except ValueError:  # on 29 February: born 1 March 25 years before turns 25 on 1 March
        first = date(on.year - ACT_AGE_LIMIT, 3, 1)
    return date.fromordinal(first.toordinal() + 1)


def duties_end(born: date) -> date:
    """The end of the academic year (31 August) in which the young person turns 25: the end of
    the duties under the Act (docs/rules.md s.6, Age: assumed)."""
    turns = birthday(born, ACT_AGE_LIMIT)
    return date(turns.year + 1 if turns.month >= 9 else turns.year, 8, 31)


def birth_problems(field: str, born: date, *, attention: date, today: date) -> list[DateProblem]:
    """A birth date against the date the matter came to attention: born by then, under 25."""
    if born > today:
        return [DateProblem(field, BIRTH_IN_FUTURE, born, today)]
    if attention >= birthday(born, ACT_AGE_LIMIT):
        return [DateProblem(field, AGE_LIMIT, born, earliest_birth(attention))]
    return []


def case_date_problems(
    dates: Iterable[tuple[str, date | None]],
    *,
    today: date | None,
    referred_on: date | None = None,
    born: date | None = None,
    planned: Iterable[str] = (),
) -> list[DateProblem]:
    """Each date of a step on a case against the case: not before birth or the referral, not
    after today unless its field is `planned` (`today` None: not checked here). One problem per
    field, the first that applies."""
    may_plan = set(planned)
    found = []
    for field, day in dates:
        if day is None:
            continue
        # the referral came after the birth: its bound is the tighter one when known
        if referred_on is not None and day < referred_on:
            found.append(DateProblem(field, BEFORE_REFERRAL, day, referred_on))
        elif born is not None and day < born:
            found.append(DateProblem(field, BEFORE_BIRTH, day, born))
        elif today is not None and day > today and field not in may_plan:
            found.append(DateProblem(field, IN_FUTURE, day, today))
    return found


def notice_problem(
    decided_on: date, notice_given_on: date | None, field: str
) -> DateProblem | None:
    """A decision's notice is given on or after the decision (Act s.11, s.13: decide, then
    give notice)."""
    if notice_given_on is not None and notice_given_on < decided_on:
        return DateProblem(field, BEFORE_DECISION, notice_given_on, decided_on)
    return None
