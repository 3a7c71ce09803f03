"""Case states and deciding bodies: one enumeration each (docs/rules.md s.4, s.8), used by the case list,
the search attribute and events."""

from enum import StrEnum


class CaseState(StrEnum):
    CONSENT_PENDING = "consent-pending"
    DECISION_PENDING = "decision-pending"
    NO_ALN = "no-aln"
    IDP_IN_PREPARATION = "idp-in-preparation"
    IDP_ACTIVE = "idp-active"
    CEASING = "ceasing"
    CLOSED = "closed"


class DecidingBody(StrEnum):
    SCHOOL = "school"
    LOCAL_AUTHORITY = "local-authority"
    # A further education institution decides for its students (Act s.11), named by UKPRN.
    FEI = "fei"
