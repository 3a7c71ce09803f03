"""Who decides, and under which clock (docs/rules.md, section 4), as one small rule table.

Routing uses the learner's age on the date the matter came to attention.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from llwybr_contracts.states import CaseState, DecidingBody
from llwybr_contracts.vocabulary import RuleId


def compulsory_school_age_starts(born: date) -> date:
    """The first of 1 September, 1 January or 1 April on or after the fifth birthday
    (Education Act 1996 s.8; a birthday on one of those dates starts it that day)."""
    fifth = _birthday(born, born.year + 5)
    for candidate in sorted(date(y, m, 1) for y in (fifth.year, fifth.year + 1) for m in (1, 4, 9)):
        if candidate >= fifth:
            return candidate
    raise AssertionError("unreachable")


def compulsory_school_age_ends(born: date) -> date:
    """The last Friday in June of the school year (September to August) in which the child
    turns 16 (Education Act 1996 s.8)."""
    sixteenth = _birthday(born, born.year + 16)
    june_year = sixteenth.year + 1 if sixteenth.month >= 9 else sixteenth.year
    last = date(june_year, 6, 30)
    return last - timedelta(days=(last.weekday() - 4) % 7)


def _birthday(born: date, year: int) -> date:
    try:
        return born.replace(year=year)
    except ValueError:  # 29 February: the birthday falls on 1 March in common years
        return date(year, 3, 1)


def stage(born: date, on: date) -> str:
    """`under-school-age`, `child` (of compulsory school age) or `young-person` (over it)."""
    if on < compulsory_school_age_starts(born):
        return "under-school-age"
    if on <= compulsory_school_age_ends(born):
        return "child"
    return "young-person"


@dataclass(frozen=True)
class Facts:
    """What routing needs to know, all from the referral."""

    stage: str
    home_authority: str
    school_ref: str | None
    school_known: bool
    school_maintained: bool
    looked_after: bool
    looking_after_authority: str | None
    dual_registered: bool
    referral_type: str
    consent: str | None  # given | refused | pending, young people only
    institution: str | None = None  # the UKPRN of the FEI the learner is a student at
    detained: bool = False  # in youth detention (Act ss.39-56)


@dataclass(frozen=True)
class Route:
    deciding_body: DecidingBody
    deciding_authority: str | None
    rule: str | None  # the first clock; None while consent is pending or the case is closed
    state: CaseState
    reason: str  # the rule that decided, a stable code


def decision_rule(stage: str, body: DecidingBody, *, at_school_or_fei: bool) -> RuleId:
    """The deciding body's clock: a school's (s.11), else the LA's; for a young person at no
    school or FEI the LA decides whether an IDP is necessary (Regs regs 6-10: `la-not-necessary`,
    12 weeks from consent) instead of under s.13 (`la-decision`). docs/rules.md s.4."""
    if body == DecidingBody.SCHOOL:
        return RuleId.SCHOOL_DECISION
    if body == DecidingBody.FEI:
        return RuleId.FEI_DECISION  # [assumed]: no FEI limit found, the school's mirrored
    if stage == "young-person" and not at_school_or_fei:
        return RuleId.LA_NOT_NECESSARY
    return RuleId.LA_DECISION


def route(f: Facts) -> Route:
    """The first matching row wins; each row cites where it comes from."""
    la = DecidingBody.LOCAL_AUTHORITY
    state = CaseState.DECISION_PENDING
    if f.stage == "young-person" and f.consent == "refused":
        # A young person who does not consent: no decision is made (Act s.11(2)(c), s.13).
        return Route(la, f.home_authority, None, CaseState.CLOSED, "young-person-refused-consent")
    if f.stage == "young-person" and f.consent == "pending":
        state = CaseState.CONSENT_PENDING
    rule_for_la = decision_rule(
        f.stage, DecidingBody.LOCAL_AUTHORITY, at_school_or_fei=bool(f.school_ref or f.institution)
    )
    if f.detained:
        # A detained person: the home authority's duties (Act ss.39-56); for a looked-after
        # child, the looking-after authority [assumed]. Its release starts `detention-release`.
        # While detained the LA decides under s.13 as for any learner it decides for.
        authority = f.looking_after_authority if f.looked_after else None
        rule = None if state == CaseState.CONSENT_PENDING else RuleId.LA_DECISION
        return Route(la, authority or f.home_authority, rule, state, "detained-person")
    if f.looked_after:
        # Looked-after children: the looking-after LA decides (ss.15-19).
        body, authority, reason = la, f.looking_after_authority or f.home_authority, "looked-after"
    elif f.stage == "under-school-age":
        body, authority, reason = la, f.home_authority, "under-compulsory-school-age"
    elif f.dual_registered:
        body, authority, reason = la, f.home_authority, "dual-registered"  # s.30
    elif f.referral_type == "school-referral-to-la":
        body, authority, reason = la, f.home_authority, "school-referral-to-la"  # s.12(2)
    elif f.referral_type in ("direct-request", "health-notice-s64"):
        body, authority, reason = la, f.home_authority, f.referral_type  # s.13, s.64
    elif f.institution:
        # An FEI decides for its students (Act s.11), on its own clock [assumed]
        rule = None if state == CaseState.CONSENT_PENDING else RuleId.FEI_DECISION
        return Route(DecidingBody.FEI, None, rule, state, "fei-student")
    elif not f.school_ref:
        body, authority, reason = la, f.home_authority, "not-at-school"
    elif f.school_known and not f.school_maintained:
        body, authority, reason = la, f.home_authority, "school-not-maintained"
    else:
        # A maintained school decides for its registered pupils (s.11). An unknown school
        # reference is routed the same way and flagged for an officer.
        body, authority = DecidingBody.SCHOOL, f.home_authority
        reason = "registered-pupil" if f.school_known else "registered-pupil-unknown-school"
        return Route(
            body,
            authority,
            None if state == CaseState.CONSENT_PENDING else RuleId.SCHOOL_DECISION,
            state,
            reason,
        )
    rule = None if state == CaseState.CONSENT_PENDING else rule_for_la
    return Route(body, authority, rule, state, reason)
