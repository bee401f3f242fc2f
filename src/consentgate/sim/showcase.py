"""A demo with something to look at (``serve --demo`` on an empty registry): three apps,
made over the server's own HTTP API as a platform and its apps would — "Personality Quiz"
waiting for review; "City Guide" approved, with a few dozen people's consents and a round
of reads; and "mirror" (the harvest simulation's bulk re-reader), which re-reads everyone
until harvest detection suspends it and opens its incident and breach."""

from __future__ import annotations

import random
from typing import Any

import httpx

from consentgate.runtime import Runtime
from consentgate.sim.harvest import run_strategy
from consentgate.sim.world import World, checked

__all__ = ["seed_showcase"]

QUIZ = {
    "name": "Personality Quiz",
    "developer": {"name": "Global Science Research", "email": "dev@gsr.example", "country": "GB"},
    "purposes": ["academic_research"],
    "fields": {
        "name": "greet you by name on the results page",
        "birthday": "compare your answers with people of your age band",
        "page_likes": "the personality model's input",
        "political_views": "the research question",
    },
    "retention_days": 30,
    "privacy_policy_url": "https://quiz.example/privacy",
}
GUIDE_FIELDS = ["name", "current_city"]


def seed_showcase(
    runtime: Runtime, base_url: str, admin_key: str, *, seed: int = 1
) -> dict[str, Any]:
    """Seed the three apps over HTTP at ``base_url``; what was made. Nothing is done when
    the registry already has apps (a restart)."""
    if runtime.stores.apps.page(after=None, limit=1):
        return {"seeded": False}
    secret = runtime.subject_secret
    if secret is None:
        raise ValueError("the showcase runs in demo mode only")
    rng = random.Random(f"showcase:{seed}")
    with httpx.Client(base_url=base_url, timeout=60) as http:
        world = World(runtime, base_url, http, admin_key, secret)
        quiz = checked(http.post("/v1/apps", headers=world.operator, json=QUIZ))
        guide = world.register(
            "City Guide",
            purposes=["service_provision"],
            fields=GUIDE_FIELDS,
            developer_country="IE",
        )
        people = sorted({"1", *world.sample_adults(30, rng)}, key=int)
        people = [p for p in people if p in set(world.adults())]
        world.consent(guide, people, purpose="service_provision", fields=GUIDE_FIELDS)
        for scoped in world.scoped_ids(guide):
            checked(
                http.get(
                    f"/v1/subjects/{scoped}",
                    headers=guide.headers,
                    params={"fields": ",".join(GUIDE_FIELDS), "purpose": "service_provision"},
                )
            )
        result, harvest = run_strategy(world, "bulk-reread", seed=seed)
    return {
        "seeded": True,
        "pending": quiz["id"],
        "approved": guide.id,
        "consenting": len(people),
        "suspended": harvest.app.id,
        "contained": result.contained,
    }
