"""The `workflow.patched` ids of `IdpJourney`, oldest first. A running journey keeps the
behaviour its history recorded; only journeys that reach the patch point after a deploy take
the new path (workflows/README.md, "Versioning and replay")."""

# Everything after JourneyStarted landed after the walking skeleton: journeys started by the
# skeleton keep waiting as they did.
STATUTORY_JOURNEY = "statutory-journey-v1"

# LlwybrNextDue also refreshed after a lone ClockMet (e.g. an appeal lodged).
UPSERT_ON_MET = "upsert-after-clock-met"

# Several queued events leave in one activity (one outbox transaction) instead of one each.
BATCH_EVENTS = "batch-journey-events"

# A fact signalled before the calendars are loaded is held and applied, in order, once they
# are (before, it was marked seen and dropped).
HOLD_EARLY_FACTS = "hold-early-facts"

# A new journey's deadline alerts name the head of service `head-of-service` (the role tokens
# carry, `Role.HEAD_OF_SERVICE`); journeys started before keep `la-head-of-service` for life.
ALERT_ROLES_ARE_TOKEN_ROLES = "alert-roles-are-token-roles"

# An appeal decided with an order to prepare or keep an IDP (outcome `aln`) moves a no-ALN case
# to `idp-in-preparation` and a ceasing one back to `idp-active` (before, it was only noted).
APPEAL_ORDER_REOPENS_IDP = "appeal-order-reopens-idp"

# AdvocacyHandoffAccepted is a fact: the accepted provider's advocate is alerted when the
# family's tribunal-appeal window has 10 days left and no appeal is lodged.
ADVOCATE_APPEAL_ALERT = "advocate-appeal-alert"

# Dates that cannot be: an update dated before the case's referral (or a notice before its
# decision) is refused by the handler too (validators, which never replay, always refuse it).
DATES_WITHIN_CASE = "dates-within-case"

# ETW Regs reg 53: an Education Tribunal decision opens the 28-day window in which any party may
# ask for a review (`tribunal-review-application`); a case the decision would close stays open
# until that window passes with no review asked (before, it closed on the decision).
TRIBUNAL_REVIEW_WINDOW = "tribunal-review-window"

# An open pause takes effect on its FROM date: a pause planned for a later day leaves the
# clock's warnings before that day in place (before, recording it silenced them at once).
OPEN_PAUSE_FROM_ITS_DATE = "open-pause-from-its-date"

# A new journey settles in one workflow task: its calendars load and its events publish as
# local activities, JourneyStarted leaves in one batch with the first clock's events, and
# every patch above is in force without a marker of its own (`BORN_WITH`).
ONE_TASK_SETTLE = "one-task-settle"

# The patches a journey on ONE_TASK_SETTLE was born with (it never checks them again).
BORN_WITH = frozenset(
    {
        STATUTORY_JOURNEY,
        UPSERT_ON_MET,
        BATCH_EVENTS,
        HOLD_EARLY_FACTS,
        ALERT_ROLES_ARE_TOKEN_ROLES,
        APPEAL_ORDER_REOPENS_IDP,
        ADVOCATE_APPEAL_ALERT,
        DATES_WITHIN_CASE,
        TRIBUNAL_REVIEW_WINDOW,
        OPEN_PAUSE_FROM_ITS_DATE,
    }
)
