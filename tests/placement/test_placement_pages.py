"""The pages end to end through the app: post, find, apply, review, offer, accept."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from extender.accounts.models import OutboxMessage
from extender.placement.models import Application, Notification, Opportunity
from tests.conftest import World, login
from tests.placement.factories import passed_scenario


def _post_opportunity(client: TestClient, csrf: str, **extra: str) -> str:
    data = {
        "csrf_token": csrf,
        "kind": "shadowing",
        "title": "Shadow our HIM team",
        "description": "Watch **release of information** work.",
        "slots": "1",
        "zip": "53703",
        "address": "1 Main St, Madison",
        "required_competencies": "",
        **extra,
    }
    response = client.post(
        "/placement/orgs/practice/opportunities", data=data, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    return response.headers["location"].rsplit("/", 1)[1]


def test_it_runs_the_whole_flow_from_posting_to_acceptance(
    client: TestClient, world: World, db: Session
) -> None:
    csrf = login(client, "employer_recruiter@example.org")
    opp_id = _post_opportunity(client, csrf)
    assert (
        client.post(
            f"/placement/orgs/practice/opportunities/{opp_id}/publish", data={"csrf_token": csrf}
        ).status_code
        == 200
    )
    client.cookies.clear()

    csrf = login(client, "learner@example.org")
    page = client.get("/placement/search", params={"zip": "53704", "miles": "10"})
    assert "Shadow our HIM team" in page.text
    far = client.get("/placement/search", params={"zip": "98101", "miles": "50"})
    assert "Shadow our HIM team" not in far.text
    detail = client.get(f"/placement/opportunities/{opp_id}")
    assert "Why it fits" in detail.text
    applied = client.post(
        f"/placement/opportunities/{opp_id}/apply", data={"csrf_token": csrf, "note": "Keen"}
    )
    assert applied.status_code == 200
    again = client.post(
        f"/placement/opportunities/{opp_id}/apply", data={"csrf_token": csrf, "note": "Again"}
    )
    assert "already applied" in again.text
    assert len(db.scalars(select(Application)).all()) == 1
    client.cookies.clear()

    csrf = login(client, "employer_recruiter@example.org")
    app_id = db.scalars(select(Application.id)).one()
    page = client.get(f"/placement/orgs/practice/applications/{app_id}")
    assert "Verified portfolio" in page.text
    moved = client.post(
        f"/placement/orgs/practice/applications/{app_id}/stage",
        data={"csrf_token": csrf, "stage": "offer"},
    )
    assert moved.status_code == 200 and 'id="stage">offer' in moved.text
    client.cookies.clear()

    csrf = login(client, "learner@example.org")
    accepted = client.post(
        f"/placement/applications/{app_id}/stage", data={"csrf_token": csrf, "stage": "accepted"}
    )
    assert 'id="stage">accepted' in accepted.text
    db.expire_all()
    learner_notes = db.scalars(
        select(Notification.text).where(Notification.user_id == world.users["learner"].id)
    ).all()
    assert any("made you an offer" in t for t in learner_notes)
    mails = db.scalars(
        select(OutboxMessage.subject).where(
            OutboxMessage.to_address == "employer_recruiter@example.org"
        )
    ).all()
    assert any("accepted your offer" in s for s in mails)


def test_it_refuses_a_competency_the_catalog_does_not_have(
    client: TestClient, world: World
) -> None:
    csrf = login(client, "employer_recruiter@example.org")
    response = client.post(
        "/placement/orgs/practice/opportunities",
        data={
            "csrf_token": csrf,
            "kind": "job",
            "title": "Analyst",
            "zip": "53703",
            "required_competencies": "CPEHR-1.2, NOPE-9",
        },
    )
    assert response.status_code == 422
    assert "unknown competency: NOPE-9" in response.text


def test_it_refuses_an_unknown_zip_code(client: TestClient, world: World) -> None:
    csrf = login(client, "employer_recruiter@example.org")
    response = client.post(
        "/placement/orgs/practice/opportunities",
        data={"csrf_token": csrf, "kind": "job", "title": "Analyst", "zip": "00000"},
    )
    assert response.status_code == 422
    assert "ZIP code 00000" in response.text


def test_it_hides_another_orgs_opportunity_from_a_recruiter(
    client: TestClient, world: World, db: Session
) -> None:
    csrf = login(client, "employer_recruiter@example.org")
    opp_id = _post_opportunity(client, csrf)
    assert client.get(f"/placement/orgs/practice/opportunities/{opp_id}").status_code == 200
    assert client.get(f"/placement/orgs/academy/opportunities/{opp_id}").status_code == 403


def test_it_shows_a_learner_their_verified_portfolio(
    client: TestClient, world: World, db: Session
) -> None:
    passed_scenario(db, world.users["learner"], "privacy-audit", 88)
    db.commit()
    login(client, "learner@example.org")
    page = client.get("/placement/profile")
    assert page.status_code == 200
    assert re.search(r"scored 88%", page.text)
    assert "How verified" in page.text


def test_it_answers_the_search_api(client: TestClient, world: World, db: Session) -> None:
    csrf = login(client, "employer_recruiter@example.org")
    opp_id = _post_opportunity(client, csrf)
    client.post(
        f"/placement/orgs/practice/opportunities/{opp_id}/publish", data={"csrf_token": csrf}
    )
    client.cookies.clear()
    login(client, "learner@example.org")
    body = client.get(
        "/api/v1/placement/opportunities", params={"q": "him TEAM", "zip": "53703", "miles": 5}
    ).json()
    assert body["total"] == 1 and body["items"][0]["id"] == opp_id
    assert body["items"][0]["distance_miles"] == 0.0
    bad = client.get("/api/v1/placement/opportunities", params={"zip": "1234"})
    assert bad.status_code == 422 and "five-digit" in bad.json()["error"]["message"]
    recs = client.get("/api/v1/placement/recommendations").json()
    assert recs[0]["opportunity"]["id"] == opp_id
    assert any("profile or portfolio incomplete" in r["text"] for r in recs[0]["reasons"])
    assert db.scalar(select(Opportunity.status)) == "published"
