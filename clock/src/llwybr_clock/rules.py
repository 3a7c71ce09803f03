"""The statutory time limits: ONE table, keyed by `RuleId` (docs/rules.md s.1).

Everything the clock needs to know about a rule (limit, unit, how the due date follows from the
start, warning offsets, who acts, basis, citation, which "assumed" conventions it relies on)
lives in `RULES` below; no other module holds rule constants. The ids themselves are the
contracts' `RuleId`, so events, the ladder and the clock name a rule with the same object.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from llwybr_clock.errors import UnknownRuleError
from llwybr_contracts.vocabulary import RuleId


class Unit(StrEnum):
    """Units a limit is expressed in (docs/rules.md s.1)."""

    SCHOOL_DAYS = "school-days"
    TERM_DAYS = "term-days"
    DAYS = "days"
    WEEKS = "weeks"
    MONTHS = "months"


class Formula(StrEnum):
    """How the due date follows from the start date (docs/rules.md#due-date-formulas)."""

    # the Nth school (or FEI term-time) day strictly after start
    SCHOOL_DAYS = "nth-school-day-after"
    # start + N days; a non-working day rolls over to the next working day (Regs reg 2(4))
    DAYS_ROLL_OVER = "days-roll-over"
    # start + N days exactly, no roll-over (ETW Regs reg 53)
    DAYS_NO_ROLL_OVER = "days-no-roll-over"
    # the first working day strictly after start + N days (ETW Regs reg 10)
    WORKING_DAY_STRICTLY_AFTER = "working-day-strictly-after"
    # the day before the anniversary of start; 29 Feb -> 28 Feb; no roll-over (Act ss.23-24)
    DAY_BEFORE_ANNIVERSARY = "day-before-anniversary"


class Basis(StrEnum):
    LAW = "law"
    CODE = "code"
    ASSUMED = "assumed"


# Names of the assumed counting conventions (docs/rules.md#counting-conventions).
ROLL_OVER_CODE_PERIODS = "roll-over-code-periods"  # reg 2(4) roll-over applied to non-Regs periods
SCHOOL_DAYS_COUNTING = "school-days-counting"  # day 1 = first school day strictly after start
PAUSE_CONVENTIONS = "pause-conventions"  # inclusive, merged, paused days count for nothing
PAUSE_MONTHS_AS_DAYS = "pause-months-as-calendar-days"  # our choice: a pause on a 12-month
# period extends it by the paused calendar days (the sources say nothing about pausing reviews)


@dataclass(frozen=True, slots=True)
class Rule:
    id: RuleId
    who_acts: str
    limit: int
    unit: Unit
    formula: Formula
    warnings: tuple[int, ...]  # offsets before the due date, in `count_unit`
    basis: Basis
    citation: str
    conventions: tuple[str, ...] = ()  # [assumed] conventions every computation of this rule uses
    extended_limit: int | None = None  # tribunal-appeal after s.68 disagreement resolution

    @property
    def count_unit(self) -> Unit:
        """The unit days are counted in: school or term days, else calendar days."""
        if self.unit in (Unit.SCHOOL_DAYS, Unit.TERM_DAYS):
            return self.unit
        return Unit.DAYS

    @property
    def needs_school_calendar(self) -> bool:
        return self.formula is Formula.SCHOOL_DAYS

    @property
    def needs_bank_holidays(self) -> bool:
        return self.formula in (Formula.DAYS_ROLL_OVER, Formula.WORKING_DAY_STRICTLY_AFTER)

    def limit_for(self, *, disagreement_resolution: bool) -> int:
        if disagreement_resolution and self.extended_limit is not None:
            return self.extended_limit
        return self.limit

    def days_in_limit(self, limit: int) -> int:
        """A weeks or days limit in calendar days (months are handled by the formula)."""
        return limit * 7 if self.unit is Unit.WEEKS else limit


_WEEKS_WARNINGS = (14, 7)

RULES: dict[RuleId, Rule] = {
    rule.id: rule
    for rule in (
        Rule(
            id=RuleId.SCHOOL_DECISION,
            who_acts="school governing body: decide ALN, then a no-ALN notice or the IDP",
            limit=35,
            unit=Unit.SCHOOL_DAYS,
            formula=Formula.SCHOOL_DAYS,
            warnings=(10, 5),
            basis=Basis.CODE,
            citation="Act s.11, s.4(6); Code",
            conventions=(SCHOOL_DAYS_COUNTING,),
        ),
        Rule(
            id=RuleId.LA_DECISION,
            who_acts="local authority: decide ALN, then notice or IDP",
            limit=12,
            unit=Unit.WEEKS,
            formula=Formula.DAYS_ROLL_OVER,
            warnings=_WEEKS_WARNINGS,
            basis=Basis.CODE,
            citation="Act s.13, s.18; Code",
            conventions=(ROLL_OVER_CODE_PERIODS,),
        ),
        Rule(
            id=RuleId.LA_RECONSIDER_DECISION,
            who_acts="local authority reconsidering a school's ALN decision or refusal to decide",
            limit=7,
            unit=Unit.WEEKS,
            formula=Formula.DAYS_ROLL_OVER,
            warnings=_WEEKS_WARNINGS,
            basis=Basis.CODE,
            citation="Act s.26; Code",
            conventions=(ROLL_OVER_CODE_PERIODS,),
        ),
        Rule(
            id=RuleId.LA_RECONSIDER_IDP,
            who_acts="local authority reconsidering a school-maintained IDP",
            limit=7,
            unit=Unit.WEEKS,
            formula=Formula.DAYS_ROLL_OVER,
            warnings=_WEEKS_WARNINGS,
            basis=Basis.ASSUMED,
            citation="Act s.27",
            conventions=(ROLL_OVER_CODE_PERIODS,),
        ),
        Rule(
            id=RuleId.HEALTH_RESPONSE,
            who_acts="NHS body answering a section 20 referral",
            limit=6,
            unit=Unit.WEEKS,
            formula=Formula.DAYS_ROLL_OVER,
            warnings=_WEEKS_WARNINGS,
            basis=Basis.LAW,
            citation="Regs reg 11; Act ss.20-21",
        ),
        Rule(
            id=RuleId.CEASE_RECONSIDER_REQUEST,
            who_acts="family asking the LA to reconsider a school's decision to cease an IDP",
            limit=4,
            unit=Unit.WEEKS,
            formula=Formula.DAYS_ROLL_OVER,
            warnings=(7,),
            basis=Basis.LAW,
            citation="Regs reg 12; Act s.32",
        ),
        Rule(
            id=RuleId.LA_NOT_NECESSARY,
            who_acts="local authority deciding an IDP is not necessary for a young person",
            limit=12,
            unit=Unit.WEEKS,
            formula=Formula.DAYS_ROLL_OVER,
            warnings=_WEEKS_WARNINGS,
            basis=Basis.LAW,
            citation="Regs reg 10",
        ),
        Rule(
            id=RuleId.DETENTION_RELEASE,
            who_acts="home local authority deciding no IDP will be needed on release",
            limit=12,
            unit=Unit.WEEKS,
            formula=Formula.DAYS_ROLL_OVER,
            warnings=_WEEKS_WARNINGS,
            basis=Basis.LAW,
            citation="Regs reg 18",
        ),
        Rule(
            id=RuleId.IDP_REVIEW,
            who_acts="body maintaining the IDP: review it",
            limit=12,
            unit=Unit.MONTHS,
            formula=Formula.DAY_BEFORE_ANNIVERSARY,
            warnings=(30,),
            basis=Basis.LAW,
            citation="Act ss.23-24",
        ),
        Rule(
            id=RuleId.FEI_DECISION,
            who_acts="FEI governing body: decide ALN for its student, then notice or IDP",
            # [assumed] no FEI limit found in the Act, Regs or Code: mirrors the school's 35
            limit=35,
            unit=Unit.TERM_DAYS,
            formula=Formula.SCHOOL_DAYS,
            warnings=(10, 5),
            basis=Basis.ASSUMED,
            citation="Act s.11; Code",
            conventions=(SCHOOL_DAYS_COUNTING,),
        ),
        Rule(
            id=RuleId.FEI_TAKEOVER_RESPONSE,
            who_acts="FEI governing body answering an LA request to take over an IDP",
            limit=20,
            unit=Unit.TERM_DAYS,
            formula=Formula.SCHOOL_DAYS,
            warnings=(5,),
            basis=Basis.LAW,
            citation="Regs reg 13",
            # FEI term-time days are counted like school days (docs/rules.md#school-days), assumed
            conventions=(SCHOOL_DAYS_COUNTING,),
        ),
        Rule(
            id=RuleId.TRIBUNAL_APPEAL,
            who_acts="family appealing to the Education Tribunal for Wales",
            limit=8,
            unit=Unit.WEEKS,
            formula=Formula.WORKING_DAY_STRICTLY_AFTER,
            warnings=_WEEKS_WARNINGS,
            basis=Basis.LAW,
            citation="ETW Regs regs 10, 14",
            extended_limit=16,  # +8 weeks after s.68 disagreement resolution
        ),
        Rule(
            id=RuleId.TRIBUNAL_REVIEW_APPLICATION,
            who_acts="any party asking the Tribunal to review its decision",
            limit=28,
            unit=Unit.DAYS,
            formula=Formula.DAYS_NO_ROLL_OVER,
            warnings=(7,),
            basis=Basis.LAW,
            citation="ETW Regs reg 53",
        ),
    )
}

RULE_IDS: tuple[str, ...] = tuple(str(rule_id) for rule_id in RULES)


def rule_for(rule_id: str) -> Rule:
    """The rule with this id (a `RuleId` or its plain string, as the CLI and events carry it),
    or `UnknownRuleError` listing the valid ones."""
    try:
        return RULES[RuleId(rule_id)]
    except (ValueError, KeyError):
        raise UnknownRuleError(str(rule_id), RULE_IDS) from None
