"""Reading GOV.UK form fields (a date is three inputs: day, month, year) and errors in the
error summary pattern: each error links to its field and is shown beside it."""

from dataclasses import dataclass
from datetime import date

from starlette.datastructures import FormData

from console.language import text
from console.services import ServiceProblem


@dataclass
class FormError:
    field: str  # the API's field name (e.g. decided_on, learner.given_name)
    message: str
    anchor: str  # the id of the input the summary links to


class FormErrors:
    """Errors of one form, by the API's field name; `prefix` makes ids unique on a page that
    holds several forms."""

    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix
        self.items: list[FormError] = []
        self.date_fields: set[str] = set()

    def id_of(self, field: str) -> str:
        return html_name(self.prefix, field)

    def add(self, field: str, message: str) -> None:
        anchor = self.id_of(field) + ("-day" if field in self.date_fields else "")
        self.items.append(FormError(field, message, anchor))

    def of(self, field: str) -> dict[str, str] | None:
        """The `errorMessage` parameter of a GOV.UK macro for this field, or None."""
        for item in self.items:
            if item.field == field:
                return {"text": item.message}
        return None

    def summary(self) -> list[dict[str, str]]:
        return [{"text": i.message, "href": f"#{i.anchor}"} for i in self.items]

    def from_problem(self, problem: ServiceProblem, known: set[str]) -> None:
        """A service's 422: each field error beside its field when the form has it, else in
        the summary only (linked to the form's first field)."""
        for e in problem.errors:
            field = e.field if e.field in known else ""
            if field:
                self.add(field, e.reason)
            else:
                self.items.append(FormError(e.field, f"{e.field}: {e.reason}", self.id_of("form")))
        if not problem.errors:
            self.items.append(FormError("", _problem_text(problem), self.id_of("form")))

    def __bool__(self) -> bool:
        return bool(self.items)


def _problem_text(problem: ServiceProblem) -> str:
    return f"{problem.title}: {problem.detail}" if problem.detail else problem.title


def refusal_text(problem: ServiceProblem) -> str:
    return _problem_text(problem)


def html_name(prefix: str, field: str) -> str:
    """A form field's name and id for the API's field (`learner.given_name` ->
    `learner-given_name`)."""
    return prefix + field.replace(".", "-")


def value(form: FormData, name: str) -> str:
    raw = form.get(name)
    return raw.strip() if isinstance(raw, str) else ""


def read_date(
    form: FormData, prefix: str, field: str, errors: FormErrors, lang: str, *, required: bool
) -> date | None:
    """`<prefix><field>-day/-month/-year` as a date; a missing or impossible date is an error
    beside the field, said as GOV.UK's date pattern says it."""
    errors.date_fields.add(field)
    name = html_name(prefix, field)
    parts = [value(form, f"{name}-{p}") for p in ("day", "month", "year")]
    if not any(parts):
        if required:
            errors.add(field, text("field.date-missing", lang))
        return None
    try:
        day, month, year = (int(p) for p in parts)
        if year < 1900:
            raise ValueError
        return date(year, month, day)
    except ValueError:
        errors.add(field, text("field.date-invalid", lang))
        return None
