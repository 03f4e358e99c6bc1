"""Proctor controls of live exam sessions: start a checked-in session, pause, resume,
terminate, or note, always with a reason that goes to the audit log."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from extender.accounts import audit
from extender.accounts.audit import Actor
from extender.assessment.delivery import LIVE, remaining_seconds
from extender.assessment.models import ExamSession, ProctorEvent
from extender.db import utcnow
from extender.errors import Conflict, InvalidInput


def proctor_action(
    session: Session, actor: Actor, exam: ExamSession, action: str, reason: str
) -> None:
    if not reason.strip():
        raise InvalidInput("give a reason; it goes in the audit log", field="reason")
    before = {"status": exam.status, "remaining": round(remaining_seconds(exam))}
    now = utcnow()
    if action == "start":
        if exam.status != "waiting":
            raise Conflict(f"only a checked-in session can be started (it is {exam.status})")
        exam.running_since, exam.status = now, "in_progress"
    elif action == "pause":
        if exam.status != "in_progress":
            raise Conflict(f"only a running session can be paused (it is {exam.status})")
        exam.used_seconds += (
            (now - exam.running_since).total_seconds() if (exam.running_since) else 0.0
        )
        exam.running_since, exam.status = None, "paused"
    elif action == "resume":
        if exam.status != "paused":
            raise Conflict(f"only a paused session can be resumed (it is {exam.status})")
        exam.running_since, exam.status = now, "in_progress"
    elif action == "terminate":
        if exam.status not in LIVE:
            raise Conflict(f"this session is already {exam.status}")
        if exam.running_since is not None:
            exam.used_seconds += (now - exam.running_since).total_seconds()
        exam.running_since, exam.status = None, "terminated"
        exam.submitted_at, exam.submit_reason = now, "terminated"
    elif action != "note":
        raise InvalidInput("action must be start, pause, resume, terminate or note", field="action")
    session.add(
        ProctorEvent(
            session_id=exam.id, action=action, reason=reason.strip(), actor=actor.email or ""
        )
    )
    audit.record(
        session,
        actor,
        f"exam_session.{action}",
        "exam_session",
        exam.id,
        before=before,
        after={"status": exam.status, "reason": reason.strip()},
    )


def live_sessions(session: Session, user_ids: set[str]) -> list[ExamSession]:
    if not user_ids:
        return []
    return list(
        session.scalars(
            select(ExamSession)
            .where(ExamSession.user_id.in_(user_ids), ExamSession.status.in_(LIVE))
            .order_by(ExamSession.started_at)
        )
    )
