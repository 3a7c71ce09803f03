"""`HandoffWatch`: one per handoff to an advocacy provider (id `handoff-<handoff id>`, task
queue `aln-journey`), started by the advocacy service once the handoff commits.

The provider answers (accepts or declines) by the fifth working day after the offer, a service
level, not a statutory limit (docs/rules.md section 7 [assumed]). The advocacy service signals
`handoff_answered` on accept, decline or consent withdrawal; a handoff still unanswered at 00:00
in Wales the day after `accept_by` raises `DeadlineBreached` for the provider (role `advocate`,
scope the provider: the vocabulary has no provider-lead role) on the journey topic, through the
journey outbox, since only the journey worker signs events there.
"""

from datetime import datetime, time, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from llwybr_clock.wales import WALES
    from llwybr_contracts.events import DeadlineBreached
    from llwybr_contracts.journey import HandoffWatchInput
    from llwybr_contracts.temporal import HANDOFF_WATCH_WORKFLOW, SIGNAL_HANDOFF_ANSWERED
    from llwybr_contracts.vocabulary import Role
    from llwybr_workflows.journey.publisher import Publisher

HANDOFF_RULE = "advocacy-handoff-accept"  # not a statutory RuleId: a provider's service level


def breached_from(watch: HandoffWatchInput) -> datetime:
    """Due all day on `accept_by`, late from 00:00 in Wales the next day (as every clock)."""
    return datetime.combine(watch.accept_by + timedelta(days=1), time(0), tzinfo=WALES)


def handoff_breached(watch: HandoffWatchInput) -> DeadlineBreached:
    return DeadlineBreached(
        case_id=watch.case_id,
        rule=HANDOFF_RULE,
        due=watch.accept_by,
        request_id=watch.handoff_id,
        alert_role=Role.ADVOCATE,
        alert_scope=watch.provider,
    )


@workflow.defn(name=HANDOFF_WATCH_WORKFLOW)
class HandoffWatch:
    def __init__(self) -> None:
        self._answered = False

    @workflow.run
    async def run(self, watch: HandoffWatchInput) -> str:
        watch = HandoffWatchInput.model_validate(watch)
        wait = breached_from(watch) - workflow.now()
        if wait > timedelta(0):
            try:
                await workflow.wait_condition(lambda: self._answered, timeout=wait)
            except TimeoutError:
                pass
        if self._answered:
            return "answered"
        await Publisher(watch.case_id).publish(handoff_breached(watch))
        return "breached"

    @workflow.signal(name=SIGNAL_HANDOFF_ANSWERED)
    def answered(self) -> None:
        self._answered = True
