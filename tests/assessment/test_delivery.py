"""Exam delivery rules: eligibility, one live session, idempotent and ordered saves, answers
that must be options, the server clock and automatic submission, resuming after a restart,
scoring, and proctor controls."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from extender.app import create_app
from extender.assessment.models import AnswerSave, ExamSession, Response
from extender.config import Settings
from tests.assessment.conftest import key_of
from tests.conftest import World, login


def _start(client: TestClient, csrf: str) -> str:
    response = client.post("/exams/CPEHR/start", data={"csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return response.headers["location"].rsplit("/", 1)[1]


def _session(db: Session, exam_id: str) -> ExamSession:
    db.expire_all()
    exam = db.get(ExamSession, exam_id)
    assert exam is not None
    return exam


def _save(
    client: TestClient, csrf: str, exam_id: str, item: int, answer: list[str], key: str, seq: int
) -> object:
    return client.post(
        f"/api/v1/exams/sessions/{exam_id}/answers",
        headers={"X-CSRF-Token": csrf},
        json={"item": item, "answer": answer, "idempotency_key": key, "seq": seq},
    )


def test_only_eligible_learners_start_and_only_once(
    client: TestClient, world: World, exam_form: str
) -> None:
    csrf = login(client, "other_learner@example.org")
    refused = client.post("/exams/CPEHR/start", data={"csrf_token": csrf})
    assert refused.status_code == 403 and "not yet eligible" in refused.text
    with TestClient(client.app) as learner:
        csrf = login(learner, "learner@example.org")
        _start(learner, csrf)
        again = learner.post("/exams/CPEHR/start", data={"csrf_token": csrf})
        assert again.status_code == 409 and "resume it" in again.text


def test_saves_are_idempotent_ordered_and_checked(
    client: TestClient, world: World, exam_form: str, db: Session, engine: Engine
) -> None:
    csrf = login(client, "learner@example.org")
    exam_id = _start(client, csrf)
    exam = _session(db, exam_id)
    first = next(pk for pk in exam.layout["items"] if key_of(engine, pk)[0] == "single_choice")
    options = exam.layout["options"][str(first)]
    ok = _save(client, csrf, exam_id, first, [options[0]], "key-00000001", 10)
    assert ok.status_code == 200 and ok.json()["duplicate"] is False  # type: ignore[attr-defined]
    retry = _save(client, csrf, exam_id, first, [options[0]], "key-00000001", 10)
    assert retry.json()["duplicate"] is True  # type: ignore[attr-defined]
    _save(client, csrf, exam_id, first, [options[1]], "key-00000002", 30)
    late = _save(client, csrf, exam_id, first, [options[2]], "key-00000003", 20)
    assert late.status_code == 200  # type: ignore[attr-defined]
    db.expire_all()
    response = db.scalars(select(Response).where(Response.session_id == exam_id)).one()
    assert response.answer["answer"] == [options[1]], "a late, older save never wins"
    assert db.scalar(select(func.count()).select_from(AnswerSave)) == 3
    bad = _save(client, csrf, exam_id, first, ["Z"], "key-00000004", 40)
    assert bad.status_code == 422  # type: ignore[attr-defined]
    assert "Z is not an option" in bad.text  # type: ignore[attr-defined]
    with TestClient(client.app) as other:
        other_csrf = login(other, "other_learner@example.org")
        stolen = _save(other, other_csrf, exam_id, first, [options[0]], "key-00000005", 50)
        assert stolen.status_code == 403  # type: ignore[attr-defined]


def test_pages_never_show_keys_and_the_result_has_domain_feedback(
    client: TestClient, world: World, exam_form: str, db: Session, engine: Engine
) -> None:
    csrf = login(client, "learner@example.org")
    exam_id = _start(client, csrf)
    exam = _session(db, exam_id)
    for number, pk in enumerate(exam.layout["items"], start=1):
        page = client.get(f"/exams/sessions/{exam_id}/items/{number}").text
        assert "rationale" not in page.lower()
        _, key = key_of(engine, pk)
        assert 'name="answer"' in page or "rank-" in page
        if number <= 4:  # answer four right, leave the rest
            _save(client, csrf, exam_id, pk, key, f"key-right-{number:04d}", number)
    review = client.get(f"/exams/sessions/{exam_id}/review").text
    assert "4 of 6 answered" in review
    client.post(f"/exams/sessions/{exam_id}/submit", data={"csrf_token": csrf})
    exam = _session(db, exam_id)
    assert (exam.raw_score, exam.max_score) == (4, 6)
    # 4/6 = 66.7% under a 70% cut: 100 + 200 * 0.6667 / 0.7 = 290.5 -> 290
    assert exam.scaled_score == 290 and exam.passed is False
    result = client.get(f"/exams/sessions/{exam_id}/result").text
    assert "290" in result and "Not passed" in result and "By domain" in result
    late = _save(client, csrf, exam_id, exam.layout["items"][0], [], "key-after-0001", 99)
    assert late.status_code == 409  # type: ignore[attr-defined]


def test_time_expiry_submits_and_refuses_the_late_save(
    client: TestClient, world: World, exam_form: str, db: Session
) -> None:
    csrf = login(client, "learner@example.org")
    exam_id = _start(client, csrf)
    exam = _session(db, exam_id)
    assert exam.running_since is not None
    exam.running_since -= timedelta(minutes=31)
    db.commit()
    late = _save(client, csrf, exam_id, exam.layout["items"][0], [], "key-late-0001", 1)
    assert late.status_code == 409  # type: ignore[attr-defined]
    assert "time is up" in late.text  # type: ignore[attr-defined]
    exam = _session(db, exam_id)
    assert exam.status == "submitted" and exam.submit_reason == "time_expired"


def test_a_restart_loses_nothing(
    client: TestClient,
    world: World,
    exam_form: str,
    db: Session,
    engine: Engine,
    settings: Settings,
) -> None:
    csrf = login(client, "learner@example.org")
    exam_id = _start(client, csrf)
    exam = _session(db, exam_id)
    pk = exam.layout["items"][2]
    _, key = key_of(engine, pk)
    client.get(f"/exams/sessions/{exam_id}/items/3")
    _save(client, csrf, exam_id, pk, key, "key-before-restart", 5)
    cookies = dict(client.cookies)
    restarted: FastAPI = create_app(settings, engine)
    with TestClient(restarted, cookies=cookies) as again:
        resumed = again.get(f"/exams/sessions/{exam_id}", follow_redirects=True)
        assert resumed.status_code == 200 and "Question 3 of 6" in resumed.text
        page = again.get(f"/exams/sessions/{exam_id}/items/3").text
        for option in key:
            assert re.search(rf'value="{option}" checked', page) or f"rank-{option}" in page


def test_proctors_pause_resume_and_terminate_with_reasons(
    client: TestClient, world: World, exam_form: str, db: Session
) -> None:
    csrf = login(client, "learner@example.org")
    exam_id = _start(client, csrf)
    with TestClient(client.app) as proctor:
        pcsrf = login(proctor, "proctor@example.org")
        assert "Learner" in proctor.get("/proctor/sessions").text
        no_reason = proctor.post(
            f"/proctor/sessions/{exam_id}/pause", data={"reason": " ", "csrf_token": pcsrf}
        )
        assert no_reason.status_code == 422
        proctor.post(
            f"/proctor/sessions/{exam_id}/pause", data={"reason": "fire alarm", "csrf_token": pcsrf}
        )
        exam = _session(db, exam_id)
        assert exam.status == "paused" and exam.running_since is None
        frozen = exam.used_seconds
        blocked = _save(client, csrf, exam_id, exam.layout["items"][0], [], "key-paused-001", 1)
        assert blocked.status_code == 409  # type: ignore[attr-defined]
        proctor.post(
            f"/proctor/sessions/{exam_id}/resume", data={"reason": "all clear", "csrf_token": pcsrf}
        )
        assert _session(db, exam_id).used_seconds == frozen
        proctor.post(
            f"/proctor/sessions/{exam_id}/terminate",
            data={"reason": "phone in use", "csrf_token": pcsrf},
        )
    assert _session(db, exam_id).status == "terminated"
    assert "terminated by the proctor" in client.get(f"/exams/sessions/{exam_id}/result").text


def test_a_proctored_session_waits_for_the_proctor_to_start_the_clock(
    client: TestClient, world: World, exam_form: str, db: Session
) -> None:
    from extender.accounts import service as accounts
    from extender.accounts.audit import Actor
    from extender.assessment import delivery
    from extender.curriculum import service as curriculum

    learner = accounts.get_user(db, world.users["learner"].id)
    delivery.grant_eligibility(
        db, Actor.system("t"), learner, curriculum.get_track(db, "CPEHR"), proctored=True
    )
    db.commit()
    csrf = login(client, "learner@example.org")
    exam_id = _start(client, csrf)
    waiting = client.get(f"/exams/sessions/{exam_id}/items/1")
    assert waiting.status_code == 409 and "You are checked in" in waiting.text
    exam = _session(db, exam_id)
    assert exam.status == "waiting" and exam.running_since is None
    refused = _save(client, csrf, exam_id, exam.layout["items"][0], [], "key-waiting-01", 1)
    assert refused.status_code == 409  # type: ignore[attr-defined]
    with TestClient(client.app) as proctor:
        pcsrf = login(proctor, "proctor@example.org")
        assert "Start the exam" in proctor.get("/proctor/sessions").text
        proctor.post(
            f"/proctor/sessions/{exam_id}/start", data={"reason": "ID checked", "csrf_token": pcsrf}
        )
    exam = _session(db, exam_id)
    assert exam.status == "in_progress" and exam.running_since is not None
    assert client.get(f"/exams/sessions/{exam_id}/items/1").status_code == 200


def test_the_exam_starts_only_inside_the_cohort_exam_window(
    client: TestClient, world: World, exam_form: str, db: Session
) -> None:
    from datetime import date

    from extender.curriculum import service as curriculum

    cohort = curriculum.get_cohort(db, "cpehr-1")
    cohort.exam_opens_on, cohort.exam_closes_on = date(2020, 1, 1), date(2020, 2, 1)
    db.commit()
    csrf = login(client, "learner@example.org")
    closed = client.post("/exams/CPEHR/start", data={"csrf_token": csrf})
    assert closed.status_code == 403 and "exam window for your cohort is Jan 1, 2020" in (
        closed.text
    )
    cohort.exam_opens_on, cohort.exam_closes_on = date(2020, 1, 1), date(2099, 1, 1)
    db.commit()
    assert _start(client, csrf)
