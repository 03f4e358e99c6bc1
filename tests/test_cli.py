from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from extender import demo
from extender.accounts.models import Membership, Organization, User
from extender.cli import app as cli
from extender.config import get_settings
from extender.curriculum.models import Cohort, Enrollment


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("EXTENDER_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("EXTENDER_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_it_names_an_unreachable_database_with_the_password_masked(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "EXTENDER_DATABASE_URL", "postgresql+psycopg://app:hunter22@127.0.0.1:1/extender"
    )
    result = CliRunner().invoke(cli, ["db", "upgrade"])
    assert result.exit_code == 2
    assert "cannot reach the database at postgresql+psycopg://app:***@127.0.0.1:1/extender" in (
        result.output
    )
    assert "hunter22" not in result.output


def test_it_refuses_to_serve_an_unmigrated_database(env: Path) -> None:
    result = CliRunner().invoke(cli, ["serve", "--port", "8999"])
    assert result.exit_code == 2
    assert "run `extender db upgrade`" in result.output


def test_it_refuses_production_without_a_secret_key(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EXTENDER_ENV", "production")
    monkeypatch.delenv("EXTENDER_SECRET_KEY", raising=False)
    result = CliRunner().invoke(cli, ["db", "upgrade"])
    assert result.exit_code == 2 and "EXTENDER_SECRET_KEY must be set" in result.output


def test_demo_seeds_once_and_is_idempotent(env: Path) -> None:
    first = CliRunner().invoke(cli, ["demo", "--no-serve"])
    assert first.exit_code == 0, first.output
    assert "learner09@extender.test" in first.output and "extender-demo" in first.output
    second = CliRunner().invoke(cli, ["demo", "--no-serve"])
    assert second.exit_code == 0, second.output
    assert "0 organizations, 0 accounts, 0 cohorts, 0 enrollments created" in second.output


def _count(db: Session, model: type) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def test_the_demo_world_has_every_role_and_varied_stages(
    db: Session, engine: Engine, catalog: None
) -> None:
    demo.seed_demo(db, date(2026, 11, 25))
    db.commit()
    counts = (
        _count(db, Organization),
        _count(db, User),
        _count(db, Cohort),
        _count(db, Enrollment),
        _count(db, Membership),
    )
    demo.seed_demo(db, date(2026, 11, 25))
    db.commit()
    assert counts == (
        _count(db, Organization),
        _count(db, User),
        _count(db, Cohort),
        _count(db, Enrollment),
        _count(db, Membership),
    )
    learners = db.scalar(
        select(func.count()).select_from(Membership).where(Membership.role == "learner")
    )
    assert learners == 30
    roles = set(db.scalars(select(Membership.role).distinct()))
    assert roles == {
        "learner",
        "instructor",
        "proctor",
        "psychometrician",
        "program_admin",
        "employer_recruiter",
        "platform_admin",
    }
    kinds = set(db.scalars(select(Organization.kind)))
    assert {"training_program", "regional_extension_center", "medical_practice"} <= kinds
    statuses = set(db.scalars(select(Enrollment.status)))
    assert statuses == {"active", "completed", "withdrawn"}
