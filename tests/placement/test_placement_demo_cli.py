"""The demo seed and the `placement digest` command."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from extender.accounts import service as accounts
from extender.accounts.models import OrgKind, OutboxMessage
from extender.cli import app as cli
from extender.config import get_settings
from extender.placement import demo
from extender.placement.models import LearnerProfile, Opportunity
from tests.conftest import World
from tests.placement.factories import ACTOR


def test_it_seeds_the_demo_once(db: Session, world: World) -> None:
    accounts.create_organization(
        db,
        ACTOR,
        slug="ohio-valley-rec",
        name="Ohio Valley REC",
        kind=OrgKind.REGIONAL_EXTENSION_CENTER.value,
    )
    learners = [world.users["learner"], world.users["other_learner"]]
    first = demo.seed(db, learners)
    second = demo.seed(db, learners)
    assert (first.opportunities, first.profiles) == (2, 2)
    assert (second.opportunities, second.profiles) == (0, 0)
    assert db.scalar(select(func.count()).select_from(Opportunity)) == 2
    assert db.scalar(select(func.count()).select_from(LearnerProfile)) == 2


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, db_url: str) -> Iterator[None]:
    monkeypatch.setenv("EXTENDER_DATABASE_URL", db_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_it_queues_digests_from_the_command_line(
    cli_env: None, engine: Engine, db: Session, world: World
) -> None:
    demo.seed(db, [world.users["learner"]])  # profile only: no demo orgs in this world
    from tests.placement.factories import opportunity

    opportunity(db, world.orgs["practice"], title="Dayton shadowing", zip="45402")
    db.commit()
    result = CliRunner().invoke(cli, ["placement", "digest", "--base-url", "https://x.test"])
    assert result.exit_code == 0, result.output
    assert "1 digest(s) queued" in result.output
    db.expire_all()
    body = db.scalars(
        select(OutboxMessage.body).where(OutboxMessage.to_address == "learner@example.org")
    ).one()
    assert "https://x.test/placement/opportunities/" in body
