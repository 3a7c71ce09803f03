"""Decision notices (Act s.9, s.68, s.69, s.70): a no-ALN decision of the local authority gives a
Welsh PDF whose appeal deadline is the `tribunal-appeal` clock's due date from the notice date
(what `llwybr clock tribunal-appeal --start <notice date>` prints); a school's decision gives the
reconsideration route instead of an appeal."""

from datetime import date

from notifications.notices import DecisionNotice, notice_html, notice_pdf
from tests.integration.helpers import clock_cli_due, pdf_text

# ETW Regulations regs 10, 14 (docs/rules.md, tribunal-appeal, worked example): a decision
# notice given on Tue 3 Nov 2026 makes the appeal due on Wed 30 Dec 2026.
NOTICE_DATE = date(2026, 11, 3)


def test_a_no_aln_la_decision_gives_a_welsh_pdf_with_the_appeal_deadline() -> None:
    due = clock_cli_due("tribunal-appeal", NOTICE_DATE)
    assert due == date(2026, 12, 30)
    notice = DecisionNotice("case-42", False, "local-authority", NOTICE_DATE, due)
    text = " ".join(pdf_text(notice_pdf(notice, "cy")).split())
    assert "dim anghenion dysgu ychwanegol" in text
    assert "30 Rhagfyr 2026" in text and "Dribiwnlys Addysg Cymru" in text  # i + soft mutation
    for section in ("Deddf a.9", "Deddf a.68", "Deddf a.69", "Deddf a.70"):
        assert section in text
    assert "December" not in text and "case-42" in text


def test_both_languages_give_welsh_then_english_in_one_notice() -> None:
    notice = DecisionNotice("case-43", False, "local-authority", NOTICE_DATE, date(2026, 12, 30))
    text = " ".join(pdf_text(notice_pdf(notice, "both")).split())
    assert text.index("30 Rhagfyr 2026") < text.index("30 December 2026")


def test_a_school_decision_gives_the_reconsideration_route_not_an_appeal() -> None:
    notice = DecisionNotice("case-44", False, "school", NOTICE_DATE, None)
    html = notice_html(notice, "en")
    assert "cannot be appealed directly" in html and "Act s.26" in html
    assert "must receive your appeal" not in html
