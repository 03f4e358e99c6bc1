"""Builders for placement tests: opportunities, profiles and verified evidence."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from extender.accounts.audit import Actor
from extender.accounts.models import Organization, User
from extender.assessment.models import ExamForm, ExamSession
from extender.config import PROJECT_ROOT
from extender.curriculum import service as curriculum
from extender.placement import opportunities, profiles
from extender.placement.models import Opportunity
from extender.placement.schemas import OpportunityInput, ProfileInput
from extender.practicum.models import ScenarioAttempt, Workspace
from extender.practicum.scenarios import ScenarioSpec, load_scenarios

ACTOR = Actor.system("test")
SCENARIOS: dict[str, ScenarioSpec] = load_scenarios(PROJECT_ROOT / "content")


def opportunity(
    db: Session, org: Organization, *, publish: bool = True, **fields: Any
) -> Opportunity:
    data: dict[str, Any] = {"kind": "shadowing", "title": "Front desk shadowing", "zip": "53703"}
    data.update(fields)
    opp = opportunities.create(db, ACTOR, org, OpportunityInput(**data), SCENARIOS)
    if publish:
        opportunities.publish(db, ACTOR, opp)
    db.flush()
    return opp


def profile(db: Session, user: User, **fields: Any) -> None:
    profiles.save(db, ACTOR, user, ProfileInput(**fields))
    db.flush()


def passed_scenario(db: Session, user: User, slug: str, score: float = 90.0) -> ScenarioAttempt:
    ws = Workspace(owner_id=user.id, name=f"ws {slug}", scenario_slug=slug)
    db.add(ws)
    db.flush()
    now = datetime.now(UTC)
    attempt = ScenarioAttempt(
        workspace_id=ws.id,
        user_id=user.id,
        scenario_slug=slug,
        submitted_at=now,
        score=score,
        passed=True,
    )
    db.add(attempt)
    db.flush()
    return attempt


def passed_exam(db: Session, user: User, track_code: str, domains: dict[str, str]) -> ExamSession:
    """A scored, passed exam session with the given level per domain."""
    track = curriculum.get_track(db, track_code)
    form = ExamForm(
        track_id=track.id,
        name="Form A",
        items={"items": []},
        time_limit_minutes=60,
        cut_percent=70.0,
        created_by="test",
        status="published",
    )
    db.add(form)
    db.flush()
    exam = ExamSession(
        user_id=user.id,
        form_id=form.id,
        track_id=track.id,
        status="submitted",
        time_limit_seconds=3600,
        layout={"items": []},
        submitted_at=datetime.now(UTC),
        scaled_score=420,
        passed=True,
        domain_results={
            "domains": [
                {"domain": d, "correct": 8, "total": 10, "level": level}
                for d, level in domains.items()
            ]
        },
    )
    db.add(exam)
    db.flush()
    return exam
