"""Fixtures shared by every test: a fresh database per test on SQLite and, when configured,
PostgreSQL; the app and a client; a world of users in several organizations and roles."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import settings as hypothesis_settings
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session

from extender import migrate
from extender.accounts import service as accounts
from extender.accounts.audit import Actor
from extender.accounts.models import Organization, OrgKind, Role, User
from extender.app import create_app
from extender.config import PROJECT_ROOT, Settings
from extender.curriculum import service as curriculum
from extender.curriculum.content import load_tracks
from extender.curriculum.models import Cohort
from extender.db import make_engine, session_factory, unit_of_work
from extender.schema import metadata

# CI explores the same hypothesis examples every run, so a submission's result does not depend
# on luck; local runs keep exploring new ones (and found real bugs that way).
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")

PG_URL = os.environ.get("EXTENDER_TEST_POSTGRES_URL", "")
REQUIRE_PG = os.environ.get("EXTENDER_REQUIRE_POSTGRES") == "1"
PASSWORD = "correct-horse-battery"
CONTENT_DIR = PROJECT_ROOT / "content"


@pytest.fixture(autouse=True)
def _fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real argon2, cheap parameters: tests create many accounts."""
    monkeypatch.setattr(
        accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    )


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """One migrated PostgreSQL database per test worker, so workers never share tables."""
    if not PG_URL:
        if REQUIRE_PG:
            pytest.fail("EXTENDER_REQUIRE_POSTGRES=1 but EXTENDER_TEST_POSTGRES_URL is not set")
        pytest.skip("PostgreSQL tests need EXTENDER_TEST_POSTGRES_URL")
    base = make_url(PG_URL)
    prefix = os.environ.get("EXTENDER_TEST_DB_PREFIX", "extender_test")
    name = f"{prefix}_{_worker()}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL required but unreachable: {exc.orig}")
        pytest.skip(f"PostgreSQL unreachable: {exc.orig}")
    url = base.set(database=name).render_as_string(hide_password=False)
    migrate.upgrade(url)
    yield url
    admin.dispose()


def _truncate_all(engine: Engine) -> None:
    tables = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("pg_database")
    return url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    if eng.dialect.name == "postgresql":
        _truncate_all(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    session = session_factory(engine)()
    yield session
    session.rollback()
    session.close()


@pytest.fixture
def catalog(engine: Engine) -> None:
    with unit_of_work(session_factory(engine)) as session:
        curriculum.sync_catalog(session, Actor.system("test"), load_tracks(CONTENT_DIR), "content")


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    return Settings(
        env="test",
        var_dir=tmp_path / "var",
        database_url=db_url,
        secret_key="test-secret-key-" + "x" * 32,
    )


@pytest.fixture
def app(settings: Settings, engine: Engine) -> FastAPI:
    return create_app(settings, engine)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver") as c:
        yield c


@dataclass
class World:
    """Two training programs, a practice and a certification body, with one person per role
    in the first program's world and a learner and program admin in the second."""

    users: dict[str, User]
    orgs: dict[str, Organization]
    cohort: Cohort
    other_cohort: Cohort


ROLE_HOMES = {
    Role.LEARNER: "academy",
    Role.INSTRUCTOR: "academy",
    Role.PROCTOR: "academy",
    Role.PROGRAM_ADMIN: "academy",
    Role.PSYCHOMETRICIAN: "board",
    Role.EMPLOYER_RECRUITER: "practice",
    Role.PLATFORM_ADMIN: "board",
}


@pytest.fixture
def world(engine: Engine, catalog: None) -> World:
    from datetime import date

    actor = Actor.system("test")
    with unit_of_work(session_factory(engine)) as s:
        orgs = {
            "academy": accounts.create_organization(
                s, actor, slug="academy", name="Academy", kind=OrgKind.TRAINING_PROGRAM.value
            ),
            "other": accounts.create_organization(
                s,
                actor,
                slug="other-academy",
                name="Other Academy",
                kind=OrgKind.TRAINING_PROGRAM.value,
            ),
            "practice": accounts.create_organization(
                s,
                actor,
                slug="practice",
                name="Main St Practice",
                kind=OrgKind.MEDICAL_PRACTICE.value,
            ),
            "board": accounts.create_organization(
                s, actor, slug="board", name="Board", kind=OrgKind.CERTIFICATION_BODY.value
            ),
        }
        users: dict[str, User] = {}
        for role, home in ROLE_HOMES.items():
            user = accounts.create_user(
                s,
                actor,
                email=f"{role.value}@example.org",
                display_name=role.value.replace("_", " ").title(),
                password=PASSWORD,
            )
            accounts.grant_role(s, actor, user=user, org=orgs[home], role=role.value)
            users[role.value] = user
        for key, role in (("other_learner", Role.LEARNER), ("other_admin", Role.PROGRAM_ADMIN)):
            user = accounts.create_user(
                s, actor, email=f"{key}@example.org", display_name=key.title(), password=PASSWORD
            )
            accounts.grant_role(s, actor, user=user, org=orgs["other"], role=role.value)
            users[key] = user
        cohort = curriculum.create_cohort(
            s,
            actor,
            program=orgs["academy"],
            track_code="CPEHR",
            slug="cpehr-1",
            name="CPEHR One",
            starts_on=date(2026, 9, 1),
            ends_on=date(2027, 1, 31),
        )
        curriculum.assign_instructor(s, actor, cohort, users["instructor"])
        curriculum.enroll(s, actor, cohort, users["learner"])
        other = curriculum.create_cohort(
            s,
            actor,
            program=orgs["other"],
            track_code="CPHIT",
            slug="cphit-other",
            name="CPHIT Other",
            starts_on=date(2026, 9, 1),
            ends_on=date(2027, 1, 31),
        )
        curriculum.enroll(s, actor, other, users["other_learner"])
    return World(users, orgs, cohort, other)


def csrf_of(client: TestClient) -> str:
    """Open a page to get a session, and return the CSRF token it carries."""
    import re

    html = client.get("/login").text
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "login page has no CSRF token"
    return match.group(1)


def login(client: TestClient, email: str, password: str = PASSWORD) -> str:
    token = csrf_of(client)
    response = client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    page = client.get("/account").text
    import re

    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match
    return match.group(1)
