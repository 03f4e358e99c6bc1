"""Simulated sittings for the demo: candidates drawn from a 2PL model answer a published
form, so the exam report has realistic statistics before any real candidate sits it.
Deterministic from a seed."""

from __future__ import annotations

import math
import random

from sqlalchemy import select
from sqlalchemy.orm import Session

from extender.accounts.audit import Actor
from extender.accounts.models import User
from extender.assessment import delivery
from extender.assessment.models import ExamForm, ItemVersion
from extender.curriculum.models import Track

_SIM = Actor.system("demo-simulation")


def simulate_sittings(
    session: Session, form: ExamForm, track: Track, users: list[User], *, seed: int
) -> int:
    """One submitted sitting per user; returns how many were created."""
    rng = random.Random(seed)
    pks = list(form.items["items"])
    versions = {
        v.pk: v for v in session.scalars(select(ItemVersion).where(ItemVersion.pk.in_(pks)))
    }
    params = {pk: (rng.uniform(0.7, 1.8), rng.gauss(-0.6, 0.8)) for pk in pks}
    made = 0
    for n, user in enumerate(users):
        group = "A" if n % 2 == 0 else "B"
        delivery.grant_eligibility(session, _SIM, user, track, group=group)
        exam = delivery.start(session, user, track, seed=seed * 7919 + n, form=form)
        theta = rng.gauss(0.0, 1.0)
        for seq, pk in enumerate(pks):
            version = versions[pk]
            a, b = params[pk]
            right = rng.random() < 1 / (1 + math.exp(-a * (theta - b)))
            answer = answer_for(version, right, rng)
            delivery.save_answer(
                session,
                exam,
                item_version_pk=pk,
                answer=answer,
                flagged=False,
                idempotency_key=f"sim-{exam.id}-{seq}",
                seq=seq,
                seconds_spent=rng.uniform(25, 110),
            )
        delivery.submit(session, exam)
        made += 1
    return made


def answer_for(version: ItemVersion, right: bool, rng: random.Random) -> list[str]:
    """The keyed answer, or a well-formed wrong one of the item's own options."""
    key = version.key_list
    ids = [o["id"] for o in version.option_list]
    if right:
        return list(key)
    if version.type == "ordering":
        wrong = list(key)
        while wrong == key:
            rng.shuffle(wrong)
        return wrong
    if version.type == "multiple_response":
        return sorted(rng.sample(ids, len(key))) if set(key) != set(ids) else ids[:1]
    return [rng.choice([i for i in ids if i not in key])]
