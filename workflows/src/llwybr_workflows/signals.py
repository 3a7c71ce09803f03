"""Which journey signal a fact from another context becomes.

Pure: the bridge consumes the fact, this names the workflow, the signal and its payload. Health
answers go to the request's HealthInput child (`health-<request id>`), which tells the journey;
IDP and advocacy facts go to the case's journey (`case-<case id>`). The payload carries the
event id, so the workflow ignores a redelivery.
"""

from llwybr_contracts import events as ev
from llwybr_contracts import journey as j
from llwybr_contracts import topics
from llwybr_contracts.temporal import health_workflow_id, journey_workflow_id

Route = tuple[str, str, j.Fact]


def fact_signal(event_id: str, event: ev.Event) -> Route | None:
    match event:
        case ev.HealthInputReceived():
            return (
                health_workflow_id(event.request_id),
                j.SIGNAL_HEALTH_INPUT_RECEIVED,
                j.HealthInputReceivedFact(
                    event_id=event_id,
                    request_id=event.request_id,
                    outcome=event.outcome,
                    welsh_delivery=event.welsh_delivery,
                    answered_on=event.answered_on,
                ),
            )
        case ev.HealthInputImpractical():
            return (
                health_workflow_id(event.request_id),
                j.SIGNAL_HEALTH_INPUT_IMPRACTICAL,
                j.HealthInputImpracticalFact(
                    event_id=event_id, request_id=event.request_id, recorded_on=event.recorded_on
                ),
            )
        case ev.IdpIssued():
            fact: j.Fact = j.IdpIssuedFact(event_id=event_id, idp_id=event.idp_id, on=event.on)
            return journey_workflow_id(event.case_id), j.SIGNAL_IDP_ISSUED, fact
        case ev.IdpReviewed():
            fact = j.IdpReviewedFact(
                event_id=event_id, idp_id=event.idp_id, on=event.on, revised=event.revised
            )
            return journey_workflow_id(event.case_id), j.SIGNAL_IDP_REVIEWED, fact
        case ev.IdpTransferred():
            fact = j.IdpTransferredFact(
                event_id=event_id, idp_id=event.idp_id, on=event.on, to_body=event.to_body
            )
            return journey_workflow_id(event.case_id), j.SIGNAL_IDP_TRANSFERRED, fact
        case ev.IdpCeased():
            fact = j.IdpCeasedFact(
                event_id=event_id, idp_id=event.idp_id, on=event.on, reason=event.reason
            )
            return journey_workflow_id(event.case_id), j.SIGNAL_IDP_CEASED, fact
        case ev.DisagreementRaised():
            fact = j.DisagreementRaisedFact(
                event_id=event_id,
                raised_on=event.raised_on,
                disagreement_resolution=event.disagreement_resolution,
            )
            return journey_workflow_id(event.case_id), j.SIGNAL_DISAGREEMENT_RAISED, fact
        case ev.AppealLodged():
            fact = j.AppealLodgedFact(event_id=event_id, lodged_on=event.lodged_on)
            return journey_workflow_id(event.case_id), j.SIGNAL_APPEAL_LODGED, fact
        case ev.AdvocacyHandoffAccepted():
            fact = j.AdvocacyHandoffAcceptedFact(
                event_id=event_id, provider=event.provider, accepted_on=event.accepted_on
            )
            return journey_workflow_id(event.case_id), j.SIGNAL_ADVOCACY_HANDOFF_ACCEPTED, fact
        case ev.AppealDecided():
            fact = j.AppealDecidedFact(
                event_id=event_id, decided_on=event.decided_on, outcome=event.outcome
            )
            return journey_workflow_id(event.case_id), j.SIGNAL_APPEAL_DECIDED, fact
    return None


# The facts the bridge turns into signals, by topic.
SIGNALLED: dict[str, tuple[type[ev.Event], ...]] = {
    topics.HEALTH: (ev.HealthInputReceived, ev.HealthInputImpractical),
    topics.IDP: (ev.IdpIssued, ev.IdpReviewed, ev.IdpTransferred, ev.IdpCeased),
    topics.ADVOCACY: (
        ev.AdvocacyHandoffAccepted,
        ev.DisagreementRaised,
        ev.AppealLodged,
        ev.AppealDecided,
    ),
}


def open_cases_query(authority: str) -> str:
    """Visibility query for the running journeys of an authority (CalendarChanged)."""
    return (
        f"WorkflowType = '{j.JOURNEY_WORKFLOW}' AND ExecutionStatus = 'Running' "
        f"AND LlwybrAuthority = '{authority}'"
    )
