"""The journey's rules, pure: no Temporal, no I/O, no wall clock.

One function per update and signal of `IdpJourney` (workflows/README.md lists them): each takes
the `JourneyState`, the message and `now` (the moment the workflow is at; dates are read in
Wales from it) and returns an `Outcome` (the next state, the events to publish, whether the
timer must wake) or, for an update, a `Refusal` with a reason code. The workflow only loads
calendars, runs the timer, calls these and publishes what they return.

The journey itself is the Act's (Additional Learning Needs and Education Tribunal (Wales) Act
2018) and the ALN Regulations 2021, as set out in docs/rules.md: consent pending (young
people), decision pending under the deciding body's clock, referred to the LA, no ALN or ALN,
IDP in preparation, IDP active with its review cycle, ceasing, closed.
"""

from llwybr_workflows.journey.commands import (
    answer_fei_takeover,
    health_input_start,
    record_consent,
    record_decision,
    record_exception,
    record_release,
    refer_to_la,
    request_fei_takeover,
    request_health_input,
    request_reconsideration,
    request_review,
    request_tribunal_review,
    withdraw_health_input,
    within_case,
)
from llwybr_workflows.journey.facts import (
    advocacy_handoff_accepted,
    appeal_decided,
    appeal_lodged,
    calendar_changed,
    disagreement_raised,
    health_input_outcome,
    idp_ceased,
    idp_issued,
    idp_reviewed,
    idp_transferred,
)
from llwybr_workflows.journey.lifecycle import (
    adopt_setup,
    begin,
    decision_rule,
    fire_alarms,
    for_next_run,
    next_alarm,
    next_due,
    recalendar,
    start,
    status,
)
from llwybr_workflows.journey.step import FactRule, M, Outcome, UpdateRule

__all__ = [
    "FactRule",
    "M",
    "Outcome",
    "UpdateRule",
    "adopt_setup",
    "advocacy_handoff_accepted",
    "answer_fei_takeover",
    "appeal_decided",
    "appeal_lodged",
    "begin",
    "calendar_changed",
    "decision_rule",
    "disagreement_raised",
    "fire_alarms",
    "for_next_run",
    "health_input_outcome",
    "health_input_start",
    "idp_ceased",
    "idp_issued",
    "idp_reviewed",
    "idp_transferred",
    "next_alarm",
    "next_due",
    "recalendar",
    "record_consent",
    "record_decision",
    "record_exception",
    "record_release",
    "refer_to_la",
    "request_fei_takeover",
    "request_health_input",
    "request_reconsideration",
    "request_review",
    "request_tribunal_review",
    "start",
    "status",
    "withdraw_health_input",
    "within_case",
]
