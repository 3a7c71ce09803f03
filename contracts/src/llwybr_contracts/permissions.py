"""Who may do what to a case, as data: action x role x the body that decides the case.

Seeing a case and acting on it are different rights. Scope still applies on top of this table
(an LA role acts only on its own authority's cases, an ALNCo only on its own school's pupils);
this table says which roles may act at all, by who decides. The service that owns the case
checks it, and the console reads it to show only the actions a person may take.

The law behind each row (docs/rules.md):
- A school's governing body decides whether a registered pupil has ALN and prepares and
  maintains the plan (Act s.11); its ALNCo acts for it. The LA's officers never record a
  school's decision for it; they may record the school's referral to the LA (s.12(2)), which
  the LA receives, and either body may ask an NHS body for help (s.20).
- The LA decides for children it is responsible for, for looked-after children (the looking-
  after authority, Act s.14-15) and on a reconsideration of a school's decision or plan
  (s.26-27); its officers, managers and head of service act, never a school's ALNCo.
- A further education institution decides for its students and maintains their plans (s.11);
  its ALNCo (`fei-alnco`, scope `fei:<UKPRN>`, Act s.60) acts for it, as a school's ALNCo does.
  Its decisions are appealable (s.70), so the LA never reconsiders them; a party to an appeal
  (the LA or the FEI whose decision it was) records that a party asked the Tribunal to review
  its decision (ETW Regs reg 53).
- A detained person's home authority keeps its duties (ss.39-56): only LA roles record the
  learner's release from detention (Regs reg 18).
- Only the LA asks an FEI to take over a plan the LA maintains, and records the FEI's answer
  (Regs reg 13: the FEI answers within 20 of its term-time days).
- Health, advocacy, service and national roles never record anything on a case; `admin`
  administers the system and does not take statutory decisions.
- Opening a case is a referral (`REFERRERS`): the LA's and a school's people refer any kind; a
  health body (its DECLO or a clinician) tells the LA of a child under compulsory school age
  who probably has ALN (Act s.64), and only that, for an authority in its board's area.
"""

from enum import StrEnum

from llwybr_contracts.vocabulary import Role


class CaseAction(StrEnum):
    """The case API's commands (one per journey update)."""

    RECORD_CONSENT = "record-consent"
    RECORD_DECISION = "record-decision"
    REFER_TO_LA = "refer-to-la"
    REQUEST_HEALTH_INPUT = "request-health-input"
    WITHDRAW_HEALTH_INPUT = "withdraw-health-input"
    RECORD_EXCEPTION = "record-exception"
    REQUEST_REVIEW = "request-review"
    REQUEST_RECONSIDERATION = "request-reconsideration"
    RECORD_RELEASE = "record-release"
    REQUEST_TRIBUNAL_REVIEW = "request-tribunal-review"
    FEI_TAKEOVER = "fei-takeover"  # ask an FEI to take over the LA's plan; record its answer


class DecidedBy(StrEnum):
    """Who decides the case now, as far as permissions go."""

    SCHOOL = "school"
    LOCAL_AUTHORITY = "local-authority"
    FEI = "fei"
    LOOKED_AFTER = "looked-after"  # the looking-after authority decides
    # A school's case while the LA reconsiders the school's decision or plan (s.26-27): the LA
    # records its answer, the school still runs its own plan's steps.
    LA_RECONSIDERING = "la-reconsidering"


LA_ACTORS = frozenset(
    {Role.LA_OFFICER, Role.LA_MANAGER, Role.HEAD_OF_SERVICE, Role.EARLY_YEARS_OFFICER}
)
SCHOOL_ACTORS = frozenset({Role.SCHOOL_ALNCO})
FEI_ACTORS = frozenset({Role.FEI_ALNCO})
NOBODY: frozenset[Role] = frozenset()

_SCHOOL_CASE: dict[CaseAction, frozenset[Role]] = {
    CaseAction.RECORD_CONSENT: SCHOOL_ACTORS,
    CaseAction.RECORD_DECISION: SCHOOL_ACTORS,
    # The school refers (s.12(2)); the LA that receives the referral may record it too.
    CaseAction.REFER_TO_LA: SCHOOL_ACTORS | LA_ACTORS,
    # A school or an LA may refer a learner to an NHS body (s.20).
    CaseAction.REQUEST_HEALTH_INPUT: SCHOOL_ACTORS | LA_ACTORS,
    CaseAction.WITHDRAW_HEALTH_INPUT: SCHOOL_ACTORS | LA_ACTORS,
    CaseAction.RECORD_EXCEPTION: SCHOOL_ACTORS,
    CaseAction.REQUEST_REVIEW: SCHOOL_ACTORS,
    # The child or parent asks the LA to reconsider a school's decision or plan (s.26-27):
    # the LA's officers record that request, not the school.
    CaseAction.REQUEST_RECONSIDERATION: LA_ACTORS,
    # A detained person's case is the home LA's (ss.39-56), never a school's.
    CaseAction.RECORD_RELEASE: NOBODY,
    # The LA is the party to an appeal on its reconsideration of a school's decision (s.70).
    CaseAction.REQUEST_TRIBUNAL_REVIEW: LA_ACTORS,
    # Regs reg 13: only a plan the LA maintains is offered to an FEI.
    CaseAction.FEI_TAKEOVER: NOBODY,
}
_LA_CASE: dict[CaseAction, frozenset[Role]] = {
    action: (NOBODY if action is CaseAction.REFER_TO_LA else LA_ACTORS) for action in CaseAction
}
# An FEI decides and maintains for its students (s.11): its ALNCo takes its steps; it does not
# refer to the LA under s.12(2) (a school's duty), the LA does not reconsider an FEI's decision
# (s.70: it is appealable instead) and a detained learner's release is the home LA's.
_NOT_FEI = (
    CaseAction.REFER_TO_LA,
    CaseAction.REQUEST_RECONSIDERATION,
    CaseAction.RECORD_RELEASE,
    CaseAction.FEI_TAKEOVER,
)
_FEI_CASE: dict[CaseAction, frozenset[Role]] = {
    action: (NOBODY if action in _NOT_FEI else FEI_ACTORS) for action in CaseAction
}

MATRIX: dict[DecidedBy, dict[CaseAction, frozenset[Role]]] = {
    DecidedBy.SCHOOL: _SCHOOL_CASE,
    DecidedBy.LA_RECONSIDERING: {
        **_SCHOOL_CASE,
        CaseAction.RECORD_DECISION: LA_ACTORS,
        CaseAction.REQUEST_RECONSIDERATION: NOBODY,  # one at a time
    },
    DecidedBy.LOCAL_AUTHORITY: _LA_CASE,
    DecidedBy.LOOKED_AFTER: _LA_CASE,
    DecidedBy.FEI: _FEI_CASE,
}


def roles_that_may(action: CaseAction, decided_by: DecidedBy) -> frozenset[Role]:
    return MATRIX[decided_by][action]


class ReferralKind(StrEnum):
    """The kinds of referral that open a case (the referral API's `referral_type`)."""

    CONCERN = "concern"
    SCHOOL_REFERRAL_TO_LA = "school-referral-to-la"
    DIRECT_REQUEST = "direct-request"
    HEALTH_NOTICE_S64 = "health-notice-s64"


EDUCATION_REFERRERS = LA_ACTORS | SCHOOL_ACTORS | FEI_ACTORS | {Role.ADMIN}
# Act s.64: an NHS body's notice to the LA; its DECLO (s.61) or a clinician gives it.
HEALTH_NOTIFIERS = frozenset({Role.DECLO, Role.CLINICIAN})

REFERRERS: dict[ReferralKind, frozenset[Role]] = {
    ReferralKind.CONCERN: EDUCATION_REFERRERS,
    ReferralKind.SCHOOL_REFERRAL_TO_LA: EDUCATION_REFERRERS,
    ReferralKind.DIRECT_REQUEST: EDUCATION_REFERRERS,
    ReferralKind.HEALTH_NOTICE_S64: EDUCATION_REFERRERS | HEALTH_NOTIFIERS,
}


def roles_that_may_refer(kind: ReferralKind) -> frozenset[Role]:
    return REFERRERS[kind]


class CalendarScope(StrEnum):
    """Whose school calendar an import changes (the journey's calendar API)."""

    AUTHORITY = "authority"  # the authority's own term dates
    SCHOOL = "school"  # one school's rows (a closure, its own INSET days), added to them


# An LA sets its schools' term dates (EA 2002 ss.32A-32B, docs/rules.md s.3); a school's own
# closures and INSET days are its own, so its ALNCo may import them for that school only (the
# token's `school:<ref>` scope). LA officers and managers act for their authority and its
# schools. Nobody else changes a calendar: it moves every school-day clock in the area.
CALENDAR_ADMINS: dict[CalendarScope, frozenset[Role]] = {
    CalendarScope.AUTHORITY: frozenset({Role.LA_OFFICER, Role.LA_MANAGER, Role.HEAD_OF_SERVICE}),
    CalendarScope.SCHOOL: frozenset(
        {Role.LA_OFFICER, Role.LA_MANAGER, Role.HEAD_OF_SERVICE, Role.SCHOOL_ALNCO}
    ),
}
