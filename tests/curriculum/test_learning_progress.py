"""Reading, knowledge checks, progress, CSV enrollment, the cohort dashboard's numbers
(hand-computed), and learning records."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from extender.accounts.audit import Actor
from extender.analytics.progress import cohort_progress, summarize
from extender.curriculum import learning
from extender.curriculum import service as curriculum
from extender.curriculum.content import load_tracks
from extender.curriculum.lessons import load_lessons
from extender.curriculum.models import CohortModule, Lesson, XapiStatement
from extender.db import session_factory, unit_of_work
from tests.conftest import World, login
from tests.curriculum.lesson_fixtures import write_lessons

RIGHT = {"q0": "B", "q1": "C", "q2": "A"}
WRONG = {"q0": "A", "q1": "C", "q2": "A"}


@pytest.fixture
def lessons(engine: Engine, world: World, tmp_path: Path) -> list[int]:
    content = write_lessons(tmp_path)
    catalog = load_lessons(content, load_tracks(content), {"duplicate-patient-cleanup"})
    with unit_of_work(session_factory(engine)) as s:
        learning.sync_lessons(s, Actor.system("test"), catalog)
        cohort = curriculum.get_cohort(s, "cpehr-1")
        [module] = learning.modules_of(s, cohort.track)
        s.add(CohortModule(cohort_id=cohort.id, module_id=module.id, due_on=date(2026, 10, 1)))
        return [ls.id for ls in module.lessons]


def test_a_learner_reads_passes_and_progress_moves(
    client: TestClient, world: World, lessons: list[int], db: Session
) -> None:
    csrf = login(client, "learner@example.org")
    before = client.get("/learn").text
    assert "0%" in before and "next: lesson “First lesson”" in before
    page = client.get("/learn/CPEHR/basics/first")
    assert page.status_code == 200 and 'class="callout callout-note"' in page.text
    assert 'href="/learn/asset-link/cpehr/01-basics/02-second.md"' in page.text
    assert client.get("/learn/asset-link/cpehr/01-basics/02-second.md").url.path == (
        "/learn/CPEHR/basics/second"
    )
    client.post("/learn/CPEHR/basics/first/read", data={"csrf_token": csrf})
    failed = client.post("/learn/CPEHR/basics/first/check", data={**WRONG, "csrf_token": csrf})
    assert "2 of 3" in failed.text and "Not passed yet" in failed.text
    assert "LOINC names tests" in failed.text
    passed = client.post("/learn/CPEHR/basics/first/check", data={**RIGHT, "csrf_token": csrf})
    assert "3 of 3" in passed.text and "Next lesson: Second lesson" in passed.text
    after = client.get("/learn").text
    assert "<strong>50%</strong>" in after and "next: lesson “Second lesson”" in after
    verbs = [
        v.rsplit("/", 1)[1]
        for v in db.scalars(select(XapiStatement.verb).order_by(XapiStatement.stored))
    ]
    assert verbs == ["experienced", "failed", "passed"]


def test_checks_refuse_unknown_options(
    client: TestClient, world: World, lessons: list[int]
) -> None:
    csrf = login(client, "learner@example.org")
    response = client.post("/learn/CPEHR/basics/first/check", data={"q0": "Z", "csrf_token": csrf})
    assert response.status_code == 422 and "not one of its options" in response.text


def test_dashboard_numbers_match_a_hand_count(
    db: Session, world: World, lessons: list[int]
) -> None:
    learner, other = world.users["learner"], world.users["other_learner"]
    cohort = curriculum.get_cohort(db, "cpehr-1")
    curriculum.enroll(db, Actor.system("t"), cohort, other)
    first, second = (db.get(Lesson, i) for i in lessons)
    assert first is not None and second is not None
    # learner: both read, first passed at the first try, second failed twice
    for lesson in (first, second):
        learning.mark_read(db, learner, lesson)
    learning.grade_check(db, learner, first, RIGHT)
    learning.grade_check(db, learner, second, WRONG)
    learning.grade_check(db, learner, second, WRONG)
    # other: first read only, nothing passed
    learning.mark_read(db, other, first)
    db.commit()
    roster = curriculum.roster(db, cohort)
    progress = {p.user.email: p for p in cohort_progress(db, cohort, {}, roster)}
    mine, theirs = progress["learner@example.org"], progress["other_learner@example.org"]
    # 2 lessons x (read + check) = 4 units: learner 3/4, other 1/4
    assert (mine.percent, theirs.percent) == (75, 25)
    assert mine.failed_checks_streak == 2 and "2 knowledge checks failed" in mine.struggling()[0]
    today = date(2026, 11, 1)
    assert theirs.behind(today) and "was due Oct 1" in theirs.behind(today)[0]
    assert mine.mastered == {"CPEHR-1.1"} and mine.attempted == {"CPEHR-1.2"}
    summary = summarize(db, list(progress.values()), today)
    assert summary.average_percent == 50.0 and summary.at_risk == 2
    # first tries: learner/first pass, learner/second fail -> 50%
    assert summary.check_first_try_pass_rate == 50.0


def test_csv_enrollment_reports_bad_rows_and_imports_all_or_valid(
    client: TestClient, world: World, db: Session
) -> None:
    csrf = login(client, "program_admin@example.org")
    url = "/programs/academy/cohorts/cpehr-1/enrollments/csv"
    text = (
        "email,name\nnew.person@example.org,New Person\nnot-an-email,Bad Row\n"
        "learner@example.org,Already Here\n"
    )

    def upload(body: str, mode: str) -> object:
        return client.post(
            url,
            data={"csrf_token": csrf, "mode": mode},
            files={"file": ("people.csv", body.encode(), "text/csv")},
        )

    refused = upload(text, "all")
    assert refused.status_code == 422  # type: ignore[attr-defined]
    assert "Nothing was imported" in refused.text  # type: ignore[attr-defined]
    assert "<td>3</td><td>&#39;not-an-email&#39; is not an email address" in (refused.text)  # type: ignore[attr-defined]
    count = db.scalar(select(func.count()).select_from(XapiStatement))
    assert count == 0
    imported = upload(text, "valid")
    assert imported.status_code == 200  # type: ignore[attr-defined]
    assert "1 enrolled, 1 new accounts invited" in imported.text  # type: ignore[attr-defined]
    assert "1 already enrolled (not duplicated)" in imported.text  # type: ignore[attr-defined]
    headers = upload("mail,full name\nx@example.org,X\n", "valid")
    assert headers.status_code == 422  # type: ignore[attr-defined]
    assert "must be exactly: email,name" in headers.text  # type: ignore[attr-defined]


def test_the_dashboard_page_csv_and_xapi_exports(
    client: TestClient, world: World, lessons: list[int]
) -> None:
    csrf = login(client, "learner@example.org")
    client.post("/learn/CPEHR/basics/first/read", data={"csrf_token": csrf})
    client.post("/learn/CPEHR/basics/first/check", data={**RIGHT, "csrf_token": csrf})
    with TestClient(client.app) as staff:
        login(staff, "instructor@example.org")
        page = staff.get("/programs/academy/cohorts/cpehr-1/dashboard")
        assert page.status_code == 200
        assert "<svg" in page.text and "<desc" in page.text and "Objective mastery" in page.text
        exported = staff.get("/programs/academy/cohorts/cpehr-1/dashboard.csv").text
        assert "learner,Learner,learner@example.org,percent,50" in exported.replace("\r", "")
        xapi = json.loads(staff.get("/programs/academy/cohorts/cpehr-1/xapi.json").text)
        assert [s["verb"]["display"]["en-US"] for s in xapi] == ["experienced", "passed"]
        assert xapi[1]["result"]["score"] == {"raw": 3, "min": 0, "max": 3, "scaled": 1.0}
        assert staff.get("/programs/other-academy/cohorts/cphit-other/dashboard").status_code == (
            403
        )


def test_learners_join_open_cohorts_only(client: TestClient, world: World, db: Session) -> None:
    csrf = login(client, "learner@example.org")
    closed = client.post("/cohorts/cphit-other/join", data={"csrf_token": csrf})
    assert closed.status_code == 403
    other = curriculum.get_cohort(db, "cphit-other")
    other.is_open = True
    db.commit()
    assert client.post("/cohorts/cphit-other/join", data={"csrf_token": csrf}).status_code == 200
    again = client.post("/cohorts/cphit-other/join", data={"csrf_token": csrf})
    assert again.status_code == 409 and "already enrolled" in again.text


def test_program_admins_create_a_cohort_and_set_its_schedule(
    client: TestClient, world: World, lessons: list[int], db: Session
) -> None:
    csrf = login(client, "program_admin@example.org")
    made = client.post(
        "/programs/academy/cohorts",
        data={
            "name": "CPEHR Summer",
            "slug": "cpehr-summer",
            "track": "CPEHR",
            "starts_on": "2027-06-01",
            "ends_on": "2027-09-30",
            "csrf_token": csrf,
        },
    )
    assert made.status_code == 200 and "CPEHR Summer created" in made.text
    cohort = curriculum.get_cohort(db, "cpehr-summer")
    [module] = learning.modules_of(db, cohort.track)
    saved = client.post(
        "/programs/academy/cohorts/cpehr-summer/schedule",
        data={
            f"module-{module.id}": "2027-07-15",
            "scenario-privacy-audit": "2027-08-01",
            "require-privacy-audit": "on",
            "scenario-duplicate-patient-cleanup": "2027-08-10",
            "exam_opens_on": "2027-09-15",
            "exam_closes_on": "2027-10-15",
            "csrf_token": csrf,
        },
    )
    assert saved.status_code == 200 and "Schedule saved" in saved.text
    assert curriculum.module_due_dates(db, cohort) == {module.id: date(2027, 7, 15)}
    assert curriculum.scenario_due_dates(db, cohort) == {"privacy-audit": date(2027, 8, 1)}
    outside = client.post(
        "/programs/academy/cohorts/cpehr-summer/schedule",
        data={f"module-{module.id}": "2028-01-01", "csrf_token": csrf},
    )
    assert outside.status_code == 422 and "due dates fall within the cohort" in outside.text
    bad_date = client.post(
        "/programs/academy/cohorts/cpehr-summer/schedule",
        data={"exam_opens_on": "next week", "csrf_token": csrf},
    )
    assert bad_date.status_code == 422 and "is not a date" in bad_date.text


def test_scenario_and_exam_results_become_learning_records(db: Session, world: World) -> None:
    from extender.accounts import service as accounts
    from extender.practicum import service as practicum
    from extender.practicum.models import ScenarioAttempt, Workspace

    learner = accounts.get_user(db, world.users["learner"].id)
    workspace = Workspace(owner_id=learner.id, name="x", scenario_slug="privacy-audit")
    db.add(workspace)
    db.flush()
    attempt = ScenarioAttempt(
        workspace_id=workspace.id,
        user_id=learner.id,
        scenario_slug="privacy-audit",
        score=90.0,
        passed=True,
    )
    db.add(attempt)
    db.flush()
    from extender.practicum.scenarios import load_scenarios
    from tests.conftest import CONTENT_DIR

    practicum._learning_record(db, attempt, load_scenarios(CONTENT_DIR)["privacy-audit"])
    db.commit()
    [statement] = learning.statements(db, {learner.id})
    assert statement["verb"]["display"]["en-US"] == "passed"
    assert statement["object"]["id"].endswith("/practicum/privacy-audit")
    assert statement["result"]["score"]["scaled"] == 0.9
