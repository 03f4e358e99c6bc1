"""Records a learner produces (exam sittings, practicum attempts), made directly so that a
test states exactly the evidence it is about."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from extender.accounts.models import User
from extender.assessment.models import ExamForm, ExamSession
from extender.credentials.demo import record_attempt
from extender.curriculum import service as curriculum
from extender.practicum.models import ScenarioAttempt


def publish_form(session: Session, track_code: str) -> ExamForm:
    track = curriculum.get_track(session, track_code)
    form = ExamForm(
        track_id=track.id,
        name=f"{track_code} test form",
        status="published",
        items={"items": []},
        time_limit_minutes=90,
        cut_percent=70.0,
        created_by="test",
    )
    session.add(form)
    session.flush()
    return form


def passed_exam(
    session: Session, user: User, track_code: str, when: datetime, scaled: int = 350
) -> ExamSession:
    exam = record_passed_exam(session, user, track_code, when, scaled)
    if exam is None:
        publish_form(session, track_code)
        exam = record_passed_exam(session, user, track_code, when, scaled)
    assert exam is not None
    return exam


def attempt(
    session: Session, user: User, slug: str, when: datetime, score: float
) -> ScenarioAttempt:
    return record_attempt(session, user, slug, when, score)


def record_passed_exam(
    session: Session, user: User, track_code: str, when: datetime, scaled: int = 372
) -> ExamSession | None:
    """A submitted sitting with the given scaled score on the track's first published form
    (None without one): a fixture for requirement tests, which need exact scores."""
    track = curriculum.get_track(session, track_code)
    form = session.scalar(
        select(ExamForm)
        .where(ExamForm.track_id == track.id, ExamForm.status == "published")
        .order_by(ExamForm.name)
    )
    if form is None:
        return None
    items = list(form.items.get("items", []))
    exam = ExamSession(
        user_id=user.id,
        form_id=form.id,
        track_id=track.id,
        status="submitted",
        time_limit_seconds=form.time_limit_minutes * 60,
        used_seconds=float(form.time_limit_minutes * 45),
        layout={"items": items, "options": {}},
        started_at=when - timedelta(minutes=form.time_limit_minutes),
        submitted_at=when,
        submit_reason="submitted",
        raw_score=round(len(items) * 0.8),
        max_score=len(items),
        scaled_score=scaled,
        passed=scaled >= 300,
    )
    session.add(exam)
    session.flush()
    return exam
