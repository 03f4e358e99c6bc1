from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from extender.accounts.audit import Actor
from extender.accounts.models import AuditEvent
from extender.curriculum import service as curriculum
from extender.curriculum.content import load_tracks
from extender.curriculum.models import Objective
from tests.conftest import CONTENT_DIR, World, login


def test_it_syncs_the_catalog_idempotently_and_updates_in_place(db: Session, catalog: None) -> None:
    specs = load_tracks(CONTENT_DIR)
    before = db.scalar(select(func.count()).select_from(Objective))
    report = curriculum.sync_catalog(db, Actor.system("t"), specs, "content")
    assert (report.created, report.updated, report.removed) == (0, 0, 0)
    assert db.scalar(select(func.count()).select_from(Objective)) == before
    specs[0].domains[0].objectives[0].statement = "Reworded objective statement for the test."
    removed = specs[0].domains[0].objectives.pop()
    report = curriculum.sync_catalog(db, Actor.system("t"), specs, "content")
    assert (report.updated, report.removed) == (1, 1)
    assert db.scalar(select(Objective).where(Objective.code == removed.code)) is None
    event = db.scalars(
        select(AuditEvent).where(AuditEvent.action == "catalog.sync").order_by(AuditEvent.id.desc())
    ).first()
    assert event is not None and event.after is not None and event.after["removed"] == 1


def test_it_shows_tracks_domains_and_objectives_to_anyone(
    client: TestClient, catalog: None
) -> None:
    listing = client.get("/tracks").text
    assert "CPEHR" in listing and "CPHIT" in listing and "CPHIE" in listing
    page = client.get("/tracks/cphie").text
    assert "Standards and content" in page and "25%" in page and "CPHIE-2.1" in page
    assert client.get("/tracks/NOPE").status_code == 404


def test_it_serves_the_framework_as_json(client: TestClient, catalog: None) -> None:
    tracks = client.get("/api/v1/tracks").json()
    assert [t["code"] for t in tracks] == ["CPEHR", "CPHIE", "CPHIT"]
    cphit = client.get("/api/v1/tracks/CPHIT").json()
    assert sum(d["weight"] for d in cphit["domains"]) == 100
    assert all(
        o["code"].startswith(d["code"] + ".") for d in cphit["domains"] for o in d["objectives"]
    )
    missing = client.get("/api/v1/tracks/XYZ")
    assert missing.status_code == 404
    assert missing.json() == {
        "error": {"code": "not_found", "message": "no track with code XYZ", "field": None}
    }


def test_program_admins_enroll_learners_once(client: TestClient, world: World) -> None:
    csrf = login(client, "program_admin@example.org")
    url = "/programs/academy/cohorts/cpehr-1/enrollments"
    first = client.post(url, data={"email": "other_learner@example.org", "csrf_token": csrf})
    assert first.status_code == 200 and "is enrolled in CPEHR One" in first.text
    again = client.post(url, data={"email": "other_learner@example.org", "csrf_token": csrf})
    assert again.status_code == 409 and "already enrolled" in again.text


def test_instructors_see_their_roster_but_not_other_programs(
    client: TestClient, world: World
) -> None:
    login(client, "instructor@example.org")
    page = client.get("/programs/academy/cohorts/cpehr-1")
    assert page.status_code == 200 and "Learner" in page.text and "Enroll a learner" in page.text
    assert "Save the schedule" not in page.text, "only program admins change the schedule"
    assert client.get("/programs/other-academy/cohorts/cphit-other").status_code == 403
    assert client.get("/programs/academy/cohorts/cphit-other").status_code == 404
