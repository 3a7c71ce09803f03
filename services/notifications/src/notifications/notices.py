"""Decision notices to families (Act s.9, s.68, s.69, s.70; docs/rules.md section 7): the
reasons, where to get information and advice, disagreement resolution, independent advocacy,
and for LA and FEI decisions the right of appeal to the Education Tribunal for Wales with its
deadline (the journey's `tribunal-appeal` clock: ETW Regs reg 10). A school's decision is not
appealable directly: the notice gives the route through LA reconsideration (s.26) instead.

Rendered in the family's language (`cy`, `en`; both: a Welsh notice, then an English one, in
one document) as HTML and as a tagged PDF, and sent by email (`notice_mail.py`).
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

from llwybr_clock import StatutoryClock
from llwybr_clock.calendar import bank_holiday_snapshot
from llwybr_common.documents import pdf_from_html
from llwybr_contracts.vocabulary import RuleId
from notifications.rendering import ENV, languages, long_date

APPEALABLE = frozenset({"local-authority", "fei"})  # Act s.70; a school's route is s.26


@dataclass(frozen=True)
class DecisionNotice:
    case_id: str
    has_aln: bool
    deciding_body: str  # local-authority | school | fei
    decided_on: date
    appeal_due: date | None  # the journey's tribunal-appeal due date, for LA and FEI decisions
    outcome: str | None = None  # aln | no-aln (from has_aln) | idp-issued | idp-ceased

    @property
    def kind(self) -> str:
        return self.outcome or ("aln" if self.has_aln else "no-aln")

    def params(self) -> dict[str, Any]:
        """What an email job keeps (ids, codes and dates only) to render the notice again."""
        return {
            "case_id": self.case_id,
            "has_aln": self.has_aln,
            "deciding_body": self.deciding_body,
            "decided_on": self.decided_on.isoformat(),
            "appeal_due": self.appeal_due.isoformat() if self.appeal_due else None,
            "outcome": self.kind,
        }

    @classmethod
    def of(cls, p: dict[str, Any]) -> "DecisionNotice":
        return cls(
            p["case_id"],
            p["has_aln"],
            p["deciding_body"],
            date.fromisoformat(p["decided_on"]),
            date.fromisoformat(p["appeal_due"]) if p.get("appeal_due") else None,
            p.get("outcome"),
        )


def appeal_due(notice_given_on: date) -> date:
    """The `tribunal-appeal` clock's due date from the notice date (ETW Regs reg 10: 8 weeks,
    rolled to a working day), as the journey and `llwybr clock tribunal-appeal` compute it."""
    calendar = bank_holiday_snapshot(notice_given_on.year, notice_given_on.year + 1)
    clock = StatutoryClock(rule=RuleId.TRIBUNAL_APPEAL, start=notice_given_on, calendar=calendar)
    due = clock.due()
    assert due is not None  # bank holidays only: a weeks rule always has a due date
    return due


def notice_html(notice: DecisionNotice, lang: str, link: str | None = None) -> str:
    """`link`: the family's signed link to their case in the console (none in a copy)."""
    appealable = notice.deciding_body in APPEALABLE and notice.appeal_due is not None
    return ENV.get_template("notice.html.j2").render(
        lang=lang,
        outcome=notice.kind,
        case_id=notice.case_id,
        deciding_body=notice.deciding_body,
        decided=long_date(notice.decided_on, lang),
        appeal_deadline=long_date(notice.appeal_due, lang)
        if appealable and notice.appeal_due
        else "",
        link=link,
    )


def notice_document(notice: DecisionNotice, choice: str | None, link: str | None = None) -> str:
    """The notice as one HTML document in the family's language; both: Welsh, then English."""
    parts = [notice_html(notice, lang, link) for lang in languages(choice)]
    if len(parts) == 1:
        return parts[0]
    welsh, english = parts
    body = english.split("<body>", 1)[1].split("</body>", 1)[0]
    return welsh.replace("</body>", f'<div lang="en">{body}</div></body>')


def notice_pdf(notice: DecisionNotice, choice: str | None, link: str | None = None) -> bytes:
    """The notice as PDF in the family's language; both: Welsh, then English."""
    return pdf_from_html(notice_document(notice, choice, link))
