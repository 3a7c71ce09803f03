"""How a refusal from the journey's rules travels to the caller: a non-retryable
`ApplicationError` of type `REFUSAL_ERROR_TYPE`, message the code, one detail the `Refusal`
(the case API reads `err.cause.type` and `err.cause.details[0]`)."""

from temporalio.exceptions import ApplicationError

from llwybr_contracts.vocabulary import REFUSAL_ERROR_TYPE, Refusal


def refusal_error(refusal: Refusal) -> ApplicationError:
    return ApplicationError(
        refusal.code,
        refusal.model_dump(mode="json"),
        type=REFUSAL_ERROR_TYPE,
        non_retryable=True,
    )
