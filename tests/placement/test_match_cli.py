"""`extender placement match --program P`: runs the latest open round, prints the result and
its verification, publishes on request, and exits 2 naming the problem otherwise."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import typer
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from extender.config import get_settings
from extender.db import session_factory, unit_of_work
from extender.placement import match_service as match
from extender.placement.match_cli import match as match_command
from extender.placement.match_models import MatchRound
from tests.conftest import World
from tests.placement.test_match_service import rank_textbook

cli = typer.Typer()
cli.command()(match_command)


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, db_url: str) -> Iterator[None]:
    monkeypatch.setenv("EXTENDER_DATABASE_URL", db_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_it_runs_the_open_round_and_prints_the_verification(
    cli_env: None, engine: Engine, world: World
) -> None:
    with unit_of_work(session_factory(engine)) as db:
        r = rank_textbook(db, world)
        l2 = r.learners[2].display_name

    result = CliRunner().invoke(cli, ["--program", "academy"])

    assert result.exit_code == 0, result.output
    assert "matched 2 of 3 learners; 1 unmatched; 0 of 2 slots unfilled" in result.output
    assert f"unmatched: {l2}" in result.output
    assert "verified: no blocking pair" in result.output
    with session_factory(engine)() as db:
        rnd = db.get(MatchRound, r.rnd.id)
        assert rnd is not None and rnd.status == "run"


def test_it_publishes_with_the_flag(cli_env: None, engine: Engine, world: World) -> None:
    with unit_of_work(session_factory(engine)) as db:
        r = rank_textbook(db, world)

    result = CliRunner().invoke(cli, ["--program", "academy", "--publish"])

    assert result.exit_code == 0, result.output
    assert "published; 5 notifications queued" in result.output
    again = CliRunner().invoke(cli, ["--program", "academy"])
    assert again.exit_code == 2 and "has no open match round" in again.output
    with session_factory(engine)() as db:
        rnd = db.get(MatchRound, r.rnd.id)
        assert rnd is not None and rnd.status == "published"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--program", "nowhere"], "no program with slug 'nowhere'"),
        (["--program", "other-academy"], "program 'other-academy' has no open match round"),
        (["--program", "academy", "--round", "nope"], "no match round nope in this program"),
    ],
)
def test_it_exits_2_naming_the_problem(
    cli_env: None, world: World, args: list[str], message: str
) -> None:
    result = CliRunner().invoke(cli, args)

    assert result.exit_code == 2
    assert message in result.output


def test_it_exits_2_when_a_list_names_an_opportunity_closed_since(
    cli_env: None, engine: Engine, world: World
) -> None:
    with unit_of_work(session_factory(engine)) as db:
        r = rank_textbook(db, world)
        r.opps[0].status = "closed"

    result = CliRunner().invoke(cli, ["--program", "academy"])

    assert result.exit_code == 2
    assert "'Site 0'" in result.output and "was closed after it joined the round" in result.output
    with session_factory(engine)() as db:
        rnd = match.get_round(db, r.rnd.id)
        assert (rnd.status, rnd.result) == ("collecting", None)
