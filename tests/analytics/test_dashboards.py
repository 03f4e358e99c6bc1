from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from extender.accounts.audit import Actor
from extender.analytics import dashboards
from extender.curriculum import service as curriculum
from tests.conftest import World, login


def test_it_computes_cohort_phase_and_elapsed_share(world: World) -> None:
    cohort = world.cohort  # 2026-09-01 .. 2027-01-31: 152 days
    assert dashboards.cohort_phase(cohort, date(2026, 8, 1)) == "upcoming"
    assert dashboards.cohort_phase(cohort, date(2026, 11, 1)) == "in progress"
    assert dashboards.cohort_phase(cohort, date(2027, 3, 1)) == "finished"
    assert dashboards.cohort_elapsed(cohort, date(2026, 11, 1)) == 61 / 152
    assert dashboards.cohort_elapsed(cohort, date(2027, 3, 1)) == 1.0


def test_program_admins_see_counts_by_status(db: Session, world: World) -> None:
    actor = Actor.system("t")
    cohort = curriculum.get_cohort(db, "cpehr-1")
    extra = curriculum.enroll(db, actor, cohort, world.users["other_learner"])
    curriculum.complete_enrollment(db, actor, extra)
    db.commit()
    admin = world.users["program_admin"]
    data = dashboards.program_dashboard(db, admin, [world.orgs["academy"]], date(2026, 11, 1))
    [row] = data.cohorts
    assert (row.active, row.completed, row.withdrawn, row.total) == (1, 1, 0, 2)
    assert data.learners == 2 and data.completed == 1
    assert [u.email for u in data.instructors[world.orgs["academy"].id]] == [
        "instructor@example.org"
    ]


def test_recruiters_see_only_aggregate_counts(db: Session, world: World) -> None:
    pools = {p.track_code: p for p in dashboards.recruiter_dashboard(db, [])}
    assert (pools["CPEHR"].in_training, pools["CPHIT"].in_training) == (1, 1)
    assert pools["CPHIE"].in_training == 0


def test_each_role_lands_on_a_dashboard_with_its_data(client: TestClient, world: World) -> None:
    cases = {
        "learner@example.org": ("/dashboard/learner", "CPEHR One"),
        "instructor@example.org": ("/dashboard/program", "CPEHR One"),
        "program_admin@example.org": ("/dashboard/program", "Instructor"),
        "psychometrician@example.org": ("/dashboard/psychometrics", "Standards and content"),
        "proctor@example.org": ("/dashboard/proctor", "CPEHR One"),
        "employer_recruiter@example.org": ("/dashboard/recruiter", "Main St Practice"),
        "platform_admin@example.org": ("/dashboard/admin", "membership.grant"),
    }
    for email, (path, text) in cases.items():
        with TestClient(client.app) as c:
            login(c, email)
            landing = c.get("/dashboard", follow_redirects=False)
            assert landing.headers["location"] == path, email
            page = c.get(path)
            assert page.status_code == 200 and text in page.text, (email, path)
