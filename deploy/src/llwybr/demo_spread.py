"""What `llwybr demo` loads: a spread of cases worth looking at, as data.

Every authority gets a case; every health board gets a request that is open, one answered and
one overdue; between them the cases reach every state of the journey: consent pending, decision
pending (on time, paused, overdue), no ALN with the appeal window open and one handed to
advocacy, an IDP in preparation, issued, due for review and ceasing, and closed. Cardiff (the
seeded people's authority, with Cardiff and Vale's DECLO) gets one of each, so the console
shows them all to whoever signs in.

Dates are relative to today, so clocks are running, at risk or overdue whenever it runs; the
overdue ones come from referrals and requests recorded after the fact (back-dated), which is
how the journey reports them breached. Names and dates of birth are made up from the seed.
"""

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from llwybr_clock.shipped import authorities
from referral.schools import register as school_register

CARDIFF = "W06000015"
ADVOCACY = "advocacy:snap-cymru"
GIVEN = ("Cai", "Elin", "Osian", "Ffion", "Ianto", "Megan", "Tomos", "Seren", "Harri", "Alys")
FAMILY = ("Jones", "Davies", "Williams", "Evans", "Thomas", "Roberts", "Hughes", "Lewis", "Morgan")
CONCERNS = (
    "Speech and language well behind peers",
    "Difficulty with reading and spelling despite support",
    "Sensory needs affecting learning in class",
    "Social communication difficulties noted by staff",
)

# Each kind: what is done after the referral, in order (see `llwybr.demo_cli`).
KINDS: dict[str, tuple[str, ...]] = {
    "decision-pending": (),
    "school": (),
    "under-five": (),
    "looked-after": (),
    "consent-pending": (),
    "closed": (),
    "overdue": (),
    "paused": ("pause",),
    "no-aln": ("no-aln",),
    "advocacy": ("no-aln", "consent", "handoff"),
    "health-open": ("health",),
    "health-answered": ("health", "answer"),
    "health-overdue": ("health",),
    "idp-in-preparation": ("aln",),
    "idp-active": ("aln", "plan"),
    "review-due": ("aln", "plan"),
    "ceasing": ("aln", "plan", "cease", "cease-decision"),
}
# Cardiff shows every kind; the other authorities take them in turn.
CYCLE = ("overdue", "no-aln", "decision-pending", "idp-active", "school", "paused", "under-five")


@dataclass(frozen=True)
class Planned:
    key: str  # stable: the ledger's name for the case and its Idempotency-Keys
    kind: str
    authority: str
    board: str
    referral: dict[str, Any]
    dates: dict[str, date] = field(default_factory=dict)  # when each step happened

    @property
    def steps(self) -> tuple[str, ...]:
        return KINDS[self.kind]


def _ago(today: date, days: int) -> date:
    return today - timedelta(days=days)


def _referral(rng: random.Random, kind: str, authority: str, today: date) -> dict[str, Any]:
    body: dict[str, Any] = {
        "source": "parent",
        "received_on": _ago(today, rng.randint(3, 30)).isoformat(),
        "authority": authority,
        "concern": rng.choice(CONCERNS),
        "learner": {
            "given_name": rng.choice(GIVEN),
            "family_name": f"{rng.choice(FAMILY)}-{rng.randint(100, 999)}",
            "date_of_birth": _ago(today, rng.randint(7 * 365, 13 * 365)).isoformat(),
            "preferred_language": rng.choice(("cy", "en", "both")),
        },
        "family_contact": {"name": "Demo Parent", "email": "parent@demo.llwybr.example"},
    }
    learner = body["learner"]
    if kind == "school":
        known = [s for s in school_register().values() if s.authority == authority and s.maintained]
        school = {"ref": known[0].ref, "name": known[0].name} if known else {"name": "Demo school"}
        body.update(source="school", school=school)
    elif kind == "under-five":
        learner["date_of_birth"] = _ago(today, rng.randint(800, 1500)).isoformat()
        body.update(source="health-body", referral_type="health-notice-s64")
    elif kind == "looked-after":
        learner["looked_after"] = True
        body["source"] = "social-services"
    elif kind in ("consent-pending", "closed"):  # a young person: their own consent (Act s.11)
        learner["date_of_birth"] = _ago(today, 17 * 365 + rng.randint(0, 300)).isoformat()
        status = "pending" if kind == "consent-pending" else "refused"
        learner["consent"] = {"status": status}
        body["source"] = "young-person"
    return body


# Languages of education in roughly Wales's proportions (about a quarter of learners in
# Welsh-medium education); one referral in twenty gives none (recorded as unknown).
LANGUAGES: tuple[tuple[str | None, int], ...] = (
    ("welsh-medium", 25),
    ("bilingual", 6),
    ("dual-stream", 4),
    ("english-medium", 60),
    (None, 5),
)


def year_group_for(date_of_birth: date, received_on: date) -> str:
    """The National Curriculum year group by age: reception is the school year a child turns
    5 in (age 4 on 31 August before it), year n the year they turn n + 5; younger, nursery."""
    year = received_on.year - (received_on < date(received_on.year, 9, 1))
    age = year - date_of_birth.year - (date_of_birth > date(date_of_birth.year, 8, 31))
    ladder = ["N1", "N2", "R", *(f"Y{n}" for n in range(1, 15))]
    return ladder[age - 2] if 2 <= age < 2 + len(ladder) else "none"


def learner_codes(rng: random.Random, kind: str, body: dict[str, Any]) -> dict[str, str]:
    """Year group and language of education for the statutory figures (a separate random
    stream, so the rest of the spread stays as it was)."""
    learner = body["learner"]
    codes: dict[str, str] = {}
    if kind in ("consent-pending", "closed"):
        codes["year_group"] = "none"  # a young person at no school
    else:
        born = date.fromisoformat(learner["date_of_birth"])
        codes["year_group"] = year_group_for(born, date.fromisoformat(body["received_on"]))
    language = rng.choices([x for x, _ in LANGUAGES], [w for _, w in LANGUAGES])[0]
    if language:
        codes["language_of_education"] = language
    return codes


def welsh_delivery(planned: Planned) -> bool:
    """Whether the demo plan's provision is delivered in Welsh: for learners in Welsh-medium or
    bilingual education, two in three (so the figures show demand unmet as Estyn found)."""
    language = planned.referral["learner"].get("language_of_education")
    return language in ("welsh-medium", "bilingual") and sum(map(ord, planned.key)) % 3 != 0


def _dates(kind: str, today: date) -> tuple[int, dict[str, date]]:
    """How many days ago the referral came, and the day of each later step."""
    if kind == "overdue":
        return 110, {}  # the LA's 12 weeks ran out about four weeks ago
    if kind == "paused":
        return 20, {"pause": _ago(today, 5)}
    if kind in ("no-aln", "advocacy"):
        return 45, {"no-aln": _ago(today, 4)}
    if kind == "health-open":
        return 20, {"health": _ago(today, 6)}
    if kind == "health-answered":
        return 35, {"health": _ago(today, 25)}
    if kind == "health-overdue":
        return 70, {"health": _ago(today, 55)}  # the board's 6 weeks ran out two weeks ago
    if kind == "idp-in-preparation":
        return 40, {"aln": _ago(today, 6)}
    if kind == "idp-active":
        return 80, {"aln": _ago(today, 30), "plan": _ago(today, 20)}
    if kind == "review-due":  # issued nearly a year ago: the annual review falls due soon
        return 430, {"aln": _ago(today, 365), "plan": _ago(today, 355)}
    if kind == "ceasing":
        steps = {"aln": _ago(today, 250), "plan": _ago(today, 240)}
        return 300, steps | {"cease": _ago(today, 12), "cease-decision": _ago(today, 2)}
    return 0, {}


def spread(seed: int, today: date, extra: int = 0) -> list[Planned]:
    """The demo's cases: Cardiff's full set, one more case in every other authority, three
    health requests in every board (open, answered, overdue), and `extra` more on the cycle."""
    rng = random.Random(seed)
    places = list(authorities())
    board_of = {a.ons_code: a.health_board_ons_code for a in places}
    chosen: list[tuple[str, str]] = [(kind, CARDIFF) for kind in KINDS]
    others = [a.ons_code for a in places if a.ons_code != CARDIFF]
    chosen += [(CYCLE[i % len(CYCLE)], code) for i, code in enumerate(others)]
    boards: dict[str, list[str]] = {}
    for a in places:
        if a.ons_code != CARDIFF:
            boards.setdefault(a.health_board_ons_code, []).append(a.ons_code)
    for _, codes in sorted(boards.items()):
        for i, kind in enumerate(("health-open", "health-answered", "health-overdue")):
            chosen.append((kind, codes[i % len(codes)]))
    chosen += [(CYCLE[i % len(CYCLE)], others[i % len(others)]) for i in range(extra)]
    planned = []
    for n, (kind, code) in enumerate(chosen):
        body = _referral(rng, kind, code, today)
        days_ago, steps = _dates(kind, today)
        if days_ago:
            body["received_on"] = _ago(today, days_ago).isoformat()
        body["learner"].update(learner_codes(random.Random(f"{seed}-{n}"), kind, body))
        planned.append(Planned(f"{seed}-{n:03d}-{kind}", kind, code, board_of[code], body, steps))
    return planned
