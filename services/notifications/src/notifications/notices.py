"""Decision notices to families (Act s.9, s.68, s.69, s.70; docs/rules.md section 7): the
reasons, where to get information and advice, disagreement resolution, independent advocacy,
and for LA and FEI decisions the right of appeal to the Education Tribunal for Wales with its
deadline (the journey's `tribunal-appeal` clock: ETW Regs reg 10). A school's decision is not
appealable directly: the notice gives the route through LA reconsideration (s.26) instead.

Rendered in the family's language (`cy`, `en`; both: a Welsh notice, then an English one, in
one document) as HTML and as a tagged PDF. Not yet sent: the referral service keeps no family
address to claim-check (see the service README).
"""

from dataclasses import dataclass
from datetime import date

from llwybr_common.documents import pdf_from_html
from notifications.rendering import ENV, languages, long_date

APPEALABLE = frozenset({"local-authority", "fei"})  # Act s.70; a school's route is s.26


@dataclass(frozen=True)
class DecisionNotice:
    case_id: str
    has_aln: bool
    deciding_body: str  # local-authority | school | fei
    decided_on: date
    appeal_due: date | None  # the journey's tribunal-appeal due date, for LA and FEI decisions


def notice_html(notice: DecisionNotice, lang: str) -> str:
    appealable = notice.deciding_body in APPEALABLE and notice.appeal_due is not None
    return ENV.get_template("notice.html.j2").render(
        lang=lang,
        outcome="aln" if notice.has_aln else "no-aln",
        case_id=notice.case_id,
        deciding_body=notice.deciding_body,
        decided=long_date(notice.decided_on, lang),
        appeal_deadline=long_date(notice.appeal_due, lang)
        if appealable and notice.appeal_due
        else "",
    )


def notice_pdf(notice: DecisionNotice, choice: str | None) -> bytes:
    """The notice as PDF in the family's language; both: Welsh, then English."""
    parts = [notice_html(notice, lang) for lang in languages(choice)]
    if len(parts) == 1:
        return pdf_from_html(parts[0])
    # One document, Welsh first: the two notices' bodies one after the other.
    welsh, english = parts
    body = english.split("<body>", 1)[1].split("</body>", 1)[0]
    return pdf_from_html(welsh.replace("</body>", f'<div lang="en">{body}</div></body>'))
