from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from extender.accounts.audit import Actor
from extender.assessment import bank, delivery
from extender.assessment.models import ExamForm, Item, ItemVersion
from extender.curriculum import service as curriculum
from extender.db import session_factory, unit_of_work
from tests.conftest import CONTENT_DIR, World


@pytest.fixture
def exam_form(engine: Engine, world: World) -> str:
    """The shipped CPEHR bank loaded, a published 6-item form (one item per domain, mixed
    types), and the world's learner eligible."""
    actor = Actor.system("test")
    with unit_of_work(session_factory(engine)) as s:
        banks = bank.load_bank_files(CONTENT_DIR, bank.objective_tracks(s))
        bank.sync_bank(s, actor, {"CPEHR": banks["CPEHR"]})
        track = curriculum.get_track(s, "CPEHR")
        chosen: list[int] = []
        for domain in track.domains:
            item = s.scalars(
                select(Item).where(Item.domain_code == domain.code).order_by(Item.id)
            ).first()
            assert item is not None
            chosen.append(bank.current_version(s, item).pk)
        form = ExamForm(
            track_id=track.id,
            name="Test form",
            status="published",
            items={"items": chosen},
            time_limit_minutes=30,
            cut_percent=70,
            created_by="test",
        )
        s.add(form)
        delivery.grant_eligibility(s, actor, world.users["learner"], track)
        s.flush()
        return form.id


def key_of(engine: Engine, pk: int) -> tuple[str, list[str]]:
    with session_factory(engine)() as s:
        version = s.get(ItemVersion, pk)
        assert version is not None
        return version.type, version.key_list
