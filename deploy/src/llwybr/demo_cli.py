"""`llwybr demo`: load a realistic sample of cases across authorities into a running embedded
stack, through the referral API, as LA officers of each authority would."""

import argparse
import asyncio
import os
import random
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

from llwybr.stack import Stack
from llwybr_clock.shipped import authorities
from llwybr_common.auth import mint_token
from llwybr_common.settings import Settings
from referral.schools import register as school_register

GIVEN = ("Cai", "Elin", "Osian", "Ffion", "Ianto", "Megan", "Tomos", "Seren", "Harri", "Alys")
FAMILY = ("Jones", "Davies", "Williams", "Evans", "Thomas", "Roberts", "Hughes", "Lewis", "Morgan")
CONCERNS = (
    "Speech and language well behind peers",
    "Difficulty with reading and spelling despite support",
    "Sensory needs affecting learning in class",
    "Social communication difficulties noted by staff",
)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("demo", help="load a sample of cases across authorities (embedded stack)")
    p.add_argument("--cases", type=int, default=44, help="how many referrals (default 44)")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--home", default=os.environ.get("LLWYBR_HOME", ".llwybr"), type=Path)
    p.set_defaults(func=run)


def sample(rng: random.Random, authority: str, today: date) -> dict[str, Any]:
    """One referral; the mix exercises every routing branch."""
    kind = rng.choice(("pupil", "pupil", "pupil", "under-five", "looked-after", "direct"))
    born = today - timedelta(days=rng.randint(6 * 365, 14 * 365))
    body: dict[str, Any] = {
        "source": "parent",
        "received_on": (today - timedelta(days=rng.randint(0, 70))).isoformat(),
        "authority": authority,
        "concern": rng.choice(CONCERNS),
        "learner": {
            "given_name": rng.choice(GIVEN),
            "family_name": f"{rng.choice(FAMILY)}-{rng.randint(100, 999)}",
            "date_of_birth": born.isoformat(),
            "preferred_language": rng.choice(("cy", "en", "both")),
        },
    }
    if kind == "pupil":
        known = [s for s in school_register().values() if s.authority == authority and s.maintained]
        school = {"ref": known[0].ref, "name": known[0].name} if known else {"name": "Demo school"}
        body.update(source="school", school=school)
    elif kind == "under-five":
        body["learner"]["date_of_birth"] = (
            today - timedelta(days=rng.randint(800, 1500))
        ).isoformat()
        body.update(source="health-body", referral_type="health-notice-s64")
    elif kind == "looked-after":
        body["learner"]["looked_after"] = True
        body["source"] = "social-services"
    else:
        body["referral_type"] = "direct-request"
    return body


async def load(stack: Stack, cases: int, seed: int) -> dict[str, int]:
    rng = random.Random(seed)
    settings = Settings(home=stack.home)
    today = date.today()
    codes = [a.ons_code for a in authorities()]
    routed: dict[str, int] = {}
    async with httpx.AsyncClient(base_url=stack.url_of("referral"), timeout=60) as http:
        for i in range(cases):
            authority = codes[i % len(codes)]
            token = mint_token(
                settings, subject="demo-loader", roles=["la-officer"], scopes=[f"la:{authority}"]
            )
            r = await http.post(
                "/api/v1/referrals",
                json=sample(rng, authority, today),
                headers={"Authorization": f"Bearer {token}"},
            )
            if r.status_code != 201:
                raise RuntimeError(f"referral {i + 1} refused ({r.status_code}): {r.text[:300]}")
            reason = r.json()["routing_reason"]
            routed[reason] = routed.get(reason, 0) + 1
    return routed


def run(args: argparse.Namespace) -> int:
    stack = Stack.load(args.home)
    if stack is None or stack.endpoints is None:
        print(
            f"llwybr demo: no running stack under {args.home}; start one with `llwybr up`",
            file=sys.stderr,
        )
        return 1
    routed = asyncio.run(load(stack, args.cases, args.seed))
    print(f"loaded {sum(routed.values())} cases across {min(args.cases, 22)} authorities:")
    for reason, n in sorted(routed.items()):
        print(f"  {reason}: {n}")
    print(
        f"see them with: curl -H 'Authorization: Bearer <token>' {stack.url_of('referral')}/api/v1/cases"
    )
    return 0
