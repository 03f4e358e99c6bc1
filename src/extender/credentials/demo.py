"""Demo credentials, so a newcomer sees every state: learner01 holds a valid, shared CPEHR
certification (and the two practicum micro-credentials behind it), learner02 an expired
one, learner03 a revoked one.

The exam sittings and practicum attempts behind them are recorded as the learners' own
(a sitting of the published CPEHR form with stored answers, scored by the live scorer;
submitted scenario attempts with rubric lines),
then the credentials are issued from those records exactly as a live submission would (so
they carry the 2-bit "message" status entry, and learner03's revocation shows on the
published list as 0x2 "revoked").
Idempotent: a learner who already holds a credential is left alone.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from extender.accounts import service as accounts
from extender.accounts.audit import Actor
from extender.accounts.models import User
from extender.assessment import delivery
from extender.assessment.models import ExamForm, ExamSession, ItemVersion, Response
from extender.assessment.simulate import answer_for
from extender.config import Settings
from extender.credentials import evidence, issuance, issuer, lifecycle
from extender.credentials.requirements import add_months, evaluate, learner_record
from extender.curriculum import service as curriculum
from extender.practicum.models import ScenarioAttempt, Workspace

ACTOR = Actor.system("demo-seed")
SCENARIOS = ("duplicate-patient-cleanup", "quality-measure-report")


@dataclass(frozen=True)
class DemoHolder:
    email: str
    months_ago: int
    state: str


HOLDERS = (
    DemoHolder("learner01@extender.test", 2, "valid"),
    DemoHolder("learner02@extender.test", 27, "expired"),
    DemoHolder("learner03@extender.test", 5, "revoked"),
)


def sit_exam(
    session: Session, user: User, track_code: str, when: datetime, right_share: float = 0.85
) -> ExamSession | None:
    """The learner sits the track's first published fixed form: answers are stored (the keyed
    answer for about ``right_share`` of the items, a wrong option for the rest) and the
    sitting is scored by the live scorer, so scaled score, pass and domain results are real.
    None when no fixed form is published."""
    track = curriculum.get_track(session, track_code)
    form = session.scalar(
        select(ExamForm)
        .where(
            ExamForm.track_id == track.id,
            ExamForm.status == "published",
            ExamForm.kind == "fixed",
        )
        .order_by(ExamForm.name)
    )
    if form is None:
        return None
    items = list(form.items["items"])
    versions = {
        v.pk: v for v in session.scalars(select(ItemVersion).where(ItemVersion.pk.in_(items)))
    }
    exam = ExamSession(
        user_id=user.id,
        form_id=form.id,
        track_id=track.id,
        status="in_progress",
        time_limit_seconds=form.time_limit_minutes * 60,
        used_seconds=float(form.time_limit_minutes * 45),
        layout={
            "items": items,
            "options": {str(pk): [o["id"] for o in versions[pk].option_list] for pk in items},
        },
    )
    session.add(exam)
    session.flush()
    cycle, rng = 20, random.Random(user.id)
    for n, pk in enumerate(items):
        answer = answer_for(versions[pk], n % cycle < round(cycle * right_share), rng)
        session.add(
            Response(session_id=exam.id, item_version_pk=pk, answer={"answer": answer}, seq=n + 1)
        )
    session.flush()
    delivery.submit(session, exam)
    exam.started_at = when - timedelta(minutes=form.time_limit_minutes)
    exam.submitted_at = when
    session.flush()
    return exam


def record_attempt(
    session: Session, user: User, slug: str, when: datetime, score: float, minutes: int = 55
) -> ScenarioAttempt:
    """A submitted practicum attempt (its workspace holds no practice data: it is evidence)."""
    workspace = Workspace(owner_id=user.id, name=f"{slug} (demo record)", scenario_slug=slug)
    session.add(workspace)
    session.flush()
    attempt = ScenarioAttempt(
        workspace_id=workspace.id,
        user_id=user.id,
        scenario_slug=slug,
        started_at=when - timedelta(minutes=minutes),
        submitted_at=when,
        score=score,
        passed=score >= 80,
        rubric={
            "lines": [
                {
                    "item": "Required work found",
                    "points": score * 0.6,
                    "max_points": 60.0,
                    "feedback": "demo record",
                },
                {
                    "item": "No collateral damage",
                    "points": score * 0.4,
                    "max_points": 40.0,
                    "feedback": "demo record",
                },
            ]
        },
        submission={},
    )
    session.add(attempt)
    session.flush()
    return attempt


def _issue_from_records(
    session: Session, settings: Settings, user: User, when: datetime
) -> list[str]:
    """Issue every achievement the learner met, dated ``when`` (approval skipped: seeded)."""
    record = learner_record(session, user)
    cat = issuance.catalog(settings)
    issued = []
    for spec in cat.achievements.values():
        result = evaluate(spec, record, cat.scenarios)
        if not result.met:
            continue
        minutes = {e.attempt.id: 55 for e in result.scenarios}
        basis = evidence.from_evaluation(issuer.base_url(settings), result, minutes)
        issued.append(issuance.issue(session, ACTOR, settings, user, spec, basis, now=when).id)
    return issued


def seed(session: Session, settings: Settings, today: date) -> list[str]:
    """Credentials for the demo holders; returns the ids issued (empty on a second run)."""
    issued: list[str] = []
    now = datetime.combine(today, time(15, 0), tzinfo=UTC)
    for holder in HOLDERS:
        user = accounts.find_user_by_email(session, holder.email)
        if user is None or issuance.credentials_of(session, user.id):
            continue
        when = add_months(now, -holder.months_ago)
        sitting = sit_exam(session, user, "CPEHR", when - timedelta(days=3))
        if sitting is None or not sitting.passed:
            continue
        for n, slug in enumerate(SCENARIOS):
            record_attempt(session, user, slug, when - timedelta(days=30 + 10 * n), 86.0 + 4 * n)
        ids = _issue_from_records(session, settings, user, when)
        issued += ids
        certification = next(
            c for c in issuance.credentials_of(session, user.id) if c.achievement_id == "cpehr"
        )
        if holder.state == "valid":
            lifecycle.share(session, user, certification)
        elif holder.state == "revoked":
            lifecycle.change_status(
                session,
                ACTOR,
                certification,
                "revoke",
                "Exam result withdrawn after an irregularity review (demo).",
            )
    session.flush()
    return issued
