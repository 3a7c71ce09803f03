"""Bilingual templates: every text exists in Welsh and English; Welsh is never second."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Template:
    cy: str
    en: str

    def render(self, **values: str) -> tuple[str, str]:
        return self.cy.format(**values), self.en.format(**values)


TEMPLATES: dict[str, Template] = {
    "journey-started": Template(
        cy="Mae achos {case_id} wedi agor. Mae'r daith statudol wedi dechrau.",
        en="Case {case_id} is open. Its statutory journey has started.",
    ),
}
