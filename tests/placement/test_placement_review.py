"""Regression tests from the placement review: what a match site sees of learners, bad input
that used to slip through, audit and notifications that were missing, the double-apply race,
and the demo data a first visitor sees."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from extender.accounts import service as accounts
from extender.accounts.models import AuditEvent, OrgKind
from extender.db import session_factory, unit_of_work
from extender.placement import applications, demo, match_demo
from extender.placement import match_ranks as ranks
from extender.placement import match_service as match
from extender.placement.models import Application, Notification, Opportunity
from tests.conftest import World, login
from tests.placement import factories as f
from tests.placement.test_match_routes import make_round
from tests.placement.test_match_service import ADMIN, open_round

PRIVACY = f.SCENARIOS["privacy-audit"].title


def _site_rows(client: TestClient, round_id: str, opp_id: str, learner_id: str) -> str:
    page = client.get(f"/match/{round_id}/sites/{opp_id}")
    assert page.status_code == 200
    start = page.text.index(f'id="rank-{learner_id}"')
    return page.text[start : page.text.index("</tr>", start)]


def test_a_match_site_sees_only_what_the_learner_shares_and_no_failed_exam(
    client: TestClient, engine: Engine, world: World
) -> None:
    r = make_round(engine, world)
    learner = world.users["learner"]
    with unit_of_work(session_factory(engine)) as db:
        user = db.merge(learner)
        f.passed_scenario(db, user, "privacy-audit", 91)
        failed = f.passed_exam(db, user, "CPEHR", {"CPEHR-1": "weak"})
        failed.passed, failed.scaled_score = False, 310
    mine, other = r.opps[0].id, r.opps[1].id

    login(client, "employer_recruiter@example.org")
    before = _site_rows(client, r.rnd.id, mine, learner.id)
    assert PRIVACY not in before and "not shared" in before
    client.cookies.clear()
    token = login(client, "learner@example.org")
    client.post(f"/match/{r.rnd.id}/ranks", data={"csrf_token": token, f"rank-{mine}": "1"})
    client.cookies.clear()

    login(client, "employer_recruiter@example.org")
    ranked = _site_rows(client, r.rnd.id, mine, learner.id)
    assert PRIVACY in ranked and "scored 91%" in ranked
    assert "310" not in ranked and "not passed" not in ranked
    assert PRIVACY not in _site_rows(client, r.rnd.id, other, learner.id)
    client.cookies.clear()

    token = login(client, "learner@example.org")
    client.post("/placement/profile", data={"csrf_token": token, "show_practicum": "hidden"})
    client.cookies.clear()
    login(client, "employer_recruiter@example.org")
    assert PRIVACY not in _site_rows(client, r.rnd.id, mine, learner.id)


@pytest.mark.parametrize("bad", ["inf", "nan", "-inf"])
def test_it_refuses_a_pay_that_is_not_a_finite_number(
    client: TestClient, world: World, db: Session, bad: str
) -> None:
    csrf = login(client, "employer_recruiter@example.org")
    form = {"csrf_token": csrf, "kind": "job", "title": "Analyst", "zip": "53703", "paid": "on"}
    response = client.post(
        "/placement/orgs/practice/opportunities", data={**form, "pay_min": "1", "pay_max": bad}
    )
    assert (
        response.status_code == 422 and "pay_max: Input should be a finite number" in response.text
    )
    assert db.scalar(select(func.count()).select_from(Opportunity)) == 0


def test_a_search_for_an_unknown_competency_is_refused_by_name(
    client: TestClient, world: World
) -> None:
    login(client, "learner@example.org")
    page = client.get("/placement/search", params={"competency": "CPEHR-1.2, NOPE-9"})
    api = client.get("/api/v1/placement/opportunities", params={"competency": "NOPE-9"})
    assert page.status_code == 422 and "unknown competency: NOPE-9" in page.text
    assert api.status_code == 422
    assert api.json()["error"]["message"] == "unknown competency: NOPE-9"
    assert client.get("/placement/search", params={"competency": "CPEHR-1"}).status_code == 200


def test_messages_on_an_application_are_audited(
    client: TestClient, world: World, db: Session
) -> None:
    opp = f.opportunity(db, world.orgs["practice"])
    app, _ = applications.apply(db, f.ACTOR, world.users["learner"], opp, "")
    db.commit()
    csrf = login(client, "employer_recruiter@example.org")
    client.post(
        f"/placement/orgs/practice/applications/{app.id}/messages",
        data={"csrf_token": csrf, "body": "Can you come on Tuesday?"},
    )
    events = db.scalars(
        select(AuditEvent).where(AuditEvent.action == "placement.application.message")
    ).all()
    assert [(e.actor_email, e.target_id) for e in events] == [
        ("employer_recruiter@example.org", app.id)
    ]
    assert events[0].after is not None and events[0].after["side"] == "recruiter"


def test_two_racing_applications_keep_one(
    db: Session, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    opp = f.opportunity(db, world.orgs["practice"])
    learner = world.users["learner"]
    first, _ = applications.apply(db, f.ACTOR, learner, opp, "first tab")
    db.commit()
    real = applications._existing
    calls: list[int] = []

    def blind_once(*args: Any) -> Application | None:
        calls.append(1)
        return None if len(calls) == 1 else real(*args)  # the other tab has not committed yet

    monkeypatch.setattr(applications, "_existing", blind_once)
    again, created = applications.apply(db, f.ACTOR, learner, opp, "second tab")
    db.commit()
    assert (again.id, created) == (first.id, False)
    assert db.scalar(select(func.count()).select_from(Application)) == 1


def test_a_published_match_notifies_in_the_app_too(db: Session, world: World) -> None:
    r = open_round(db, world, n_opps=1, n_learners=2)
    placed, unplaced = r.learners
    site = r.opps[0]
    for user in r.learners:
        ranks.submit_learner_ranks(db, ADMIN, r.rnd, user, [site.id])
    recruiter = db.merge(world.users["employer_recruiter"])
    ranks.submit_site_ranks(db, ADMIN, r.rnd, recruiter, site.id, [placed.id, unplaced.id])
    match.run(db, ADMIN, r.rnd)
    match.publish(db, ADMIN, r.rnd)

    def texts(user_id: str) -> list[tuple[str, str]]:
        rows = select(Notification.text, Notification.link).where(Notification.user_id == user_id)
        return [(t, link) for t, link in db.execute(rows)]

    assert texts(placed.id) == [
        (f"Shadowing: You matched with {site.title}.", f"/match/{r.rnd.id}")
    ]
    assert "not matched" in texts(unplaced.id)[0][0]
    assert texts(recruiter.id)[0][1] == f"/match/{r.rnd.id}/sites/{site.id}"


def test_match_demo_sites_are_posted_with_coordinates_and_audited(
    db: Session, world: World
) -> None:
    accounts.create_organization(
        db, f.ACTOR, slug="harbor-im", name="Harbor IM", kind=OrgKind.MEDICAL_PRACTICE.value
    )
    opp = match_demo._opportunity(db, "harbor-im", "IM placement", "internship", 2)
    assert opp is not None and opp.status == "published"
    assert (opp.zip, opp.lat is not None, opp.remote) == ("43604", True, False)
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.target_id == opp.id)).all()
    assert set(actions) == {"placement.opportunity.create", "placement.opportunity.publish"}


def test_the_demo_recruiter_has_applicants_to_review(db: Session, world: World) -> None:
    accounts.create_organization(
        db,
        f.ACTOR,
        slug="ohio-valley-rec",
        name="Ohio Valley REC",
        kind=OrgKind.REGIONAL_EXTENSION_CENTER.value,
    )
    third = accounts.create_user(
        db, f.ACTOR, email="third@example.org", display_name="Third", password="x" * 12
    )
    learners = [world.users["learner"], world.users["other_learner"], third]
    assert demo.seed(db, learners).applications == 2
    assert demo.seed(db, learners).applications == 0
    who = db.scalars(select(Application.user_id).order_by(Application.user_id)).all()
    assert who == sorted([world.users["other_learner"].id, third.id])


def test_the_opportunity_page_reads_pay_and_place_plainly(
    client: TestClient, world: World, db: Session
) -> None:
    job = f.opportunity(
        db,
        world.orgs["practice"],
        kind="job",
        title="EHR support",
        address="1 Main St",
        paid=True,
        pay_min=42000,
        pay_max=50000,
        pay_unit="year",
    )
    hourly = f.opportunity(db, world.orgs["practice"], title="Evenings", paid=True, pay_min=18.5)
    db.commit()
    login(client, "learner@example.org")
    page = client.get(f"/placement/opportunities/{job.id}").text
    assert "paid, $42,000\u2013$50,000 a year" in page and "None" not in page
    assert "paid, from $18.50 an hour" in client.get(f"/placement/opportunities/{hourly.id}").text
