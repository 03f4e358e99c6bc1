"""Lessons in the database, reading and knowledge checks, and learning records (xAPI).

A lesson counts as done when it has been read and its knowledge check passed (every question
right on a check of three, at most one wrong on a check of four or five). Every learning
event is also written as an xAPI statement, so a program's own learning record store can
ingest it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from extender.accounts import audit
from extender.accounts.audit import Actor
from extender.accounts.models import User
from extender.curriculum.lessons import LessonCatalog
from extender.curriculum.models import (
    CheckAttempt,
    Lesson,
    LessonRead,
    Module,
    Track,
    XapiStatement,
)
from extender.db import utcnow
from extender.errors import InvalidInput, NotFound

ACTIVITY_BASE = "https://extender.example/xapi/activities"
VERBS = {
    "experienced": "http://adlnet.gov/expapi/verbs/experienced",
    "passed": "http://adlnet.gov/expapi/verbs/passed",
    "failed": "http://adlnet.gov/expapi/verbs/failed",
    "attempted": "http://adlnet.gov/expapi/verbs/attempted",
    "completed": "http://adlnet.gov/expapi/verbs/completed",
}


def sync_lessons(session: Session, actor: Actor, catalog: LessonCatalog) -> tuple[int, int]:
    """Make the module and lesson tables equal to the content, keyed by track and slug."""
    tracks = {t.code: t for t in session.scalars(select(Track))}
    kept_modules: set[int] = set()
    lesson_count = 0
    for spec in catalog.modules:
        track = tracks[spec.meta.track]
        module = session.scalar(
            select(Module).where(Module.track_id == track.id, Module.slug == spec.meta.slug)
        )
        if module is None:
            module = Module(
                track_id=track.id,
                slug=spec.meta.slug,
                title=spec.meta.title,
                summary=spec.meta.summary,
                position=spec.meta.order,
            )
            session.add(module)
        module.title, module.summary, module.position = (
            spec.meta.title,
            spec.meta.summary,
            spec.meta.order,
        )
        existing = {lesson.slug: lesson for lesson in module.lessons}
        lessons = []
        for pos, ls in enumerate(spec.lessons):
            lesson = existing.pop(ls.meta.slug, None) or Lesson(slug=ls.meta.slug, position=pos)
            lesson.title, lesson.minutes, lesson.position = ls.meta.title, ls.meta.minutes, pos
            lesson.objectives = ",".join(ls.meta.objectives)
            lesson.scenarios = ",".join(ls.meta.scenarios)
            lesson.body, lesson.source_file = ls.body, ls.file
            lesson.check = {"questions": [q.model_dump() for q in ls.meta.check]}
            lessons.append(lesson)
        module.lessons = lessons
        session.flush()
        kept_modules.add(module.id)
        lesson_count += len(lessons)
    for stale in session.scalars(select(Module).where(Module.id.not_in(kept_modules or {-1}))):
        session.delete(stale)
    audit.record(
        session,
        actor,
        "lessons.sync",
        "catalog",
        "lessons",
        after={"modules": len(catalog.modules), "lessons": lesson_count},
    )
    return len(catalog.modules), lesson_count


def modules_of(session: Session, track: Track) -> list[Module]:
    return list(
        session.scalars(select(Module).where(Module.track_id == track.id).order_by(Module.position))
    )


def get_lesson(session: Session, track: Track, module_slug: str, lesson_slug: str) -> Lesson:
    lesson = session.scalar(
        select(Lesson)
        .join(Module)
        .where(Module.track_id == track.id, Module.slug == module_slug, Lesson.slug == lesson_slug)
    )
    if lesson is None:
        raise NotFound(f"no lesson {module_slug}/{lesson_slug} in {track.code}")
    return lesson


def lesson_url(lesson: Lesson) -> str:
    return f"/learn/{lesson.module.track.code}/{lesson.module.slug}/{lesson.slug}"


def _statement(
    user: User,
    verb: str,
    lesson: Lesson | None,
    object_id: str,
    name: str,
    result: dict[str, Any] | None = None,
) -> XapiStatement:
    sid = str(uuid.uuid4())
    now = utcnow()
    body: dict[str, Any] = {
        "id": sid,
        "actor": {"objectType": "Agent", "name": user.display_name, "mbox": f"mailto:{user.email}"},
        "verb": {"id": VERBS[verb], "display": {"en-US": verb}},
        "object": {
            "objectType": "Activity",
            "id": object_id,
            "definition": {"name": {"en-US": name}},
        },
        "timestamp": now.isoformat(),
    }
    if result is not None:
        body["result"] = result
    if lesson is not None:
        parent = f"{ACTIVITY_BASE}/tracks/{lesson.module.track.code}/{lesson.module.slug}"
        body["context"] = {"contextActivities": {"parent": [{"id": parent}]}}
    return XapiStatement(
        id=sid, actor_id=user.id, verb=VERBS[verb], object_id=object_id, stored=now, statement=body
    )


def record_statement(
    session: Session,
    user: User,
    verb: str,
    object_id: str,
    name: str,
    result: dict[str, Any] | None = None,
    lesson: Lesson | None = None,
) -> None:
    session.add(_statement(user, verb, lesson, object_id, name, result))


def lesson_activity(lesson: Lesson) -> str:
    return f"{ACTIVITY_BASE}/tracks/{lesson.module.track.code}/{lesson.module.slug}/{lesson.slug}"


def mark_read(session: Session, user: User, lesson: Lesson) -> bool:
    """Record that the learner read the lesson; False if already recorded."""
    exists = session.scalar(
        select(LessonRead).where(LessonRead.user_id == user.id, LessonRead.lesson_id == lesson.id)
    )
    if exists is not None:
        return False
    session.add(LessonRead(user_id=user.id, lesson_id=lesson.id))
    record_statement(
        session, user, "experienced", lesson_activity(lesson), lesson.title, lesson=lesson
    )
    return True


@dataclass(frozen=True)
class QuestionFeedback:
    prompt: str
    chosen: str | None
    answer: str
    correct: bool
    rationale: str
    options: list[dict[str, str]]


def check_passed(correct: int, total: int) -> bool:
    """All right on a check of three; at most one wrong on a check of four or five."""
    return correct == total if total <= 3 else correct >= total - 1


def grade_check(
    session: Session, user: User, lesson: Lesson, answers: dict[str, str]
) -> tuple[CheckAttempt, list[QuestionFeedback]]:
    questions = lesson.check["questions"]
    if not any(answers.get(f"q{i}") for i in range(len(questions))):
        raise InvalidInput("answer at least one question before checking", field="q0")
    feedback = []
    for i, q in enumerate(questions):
        chosen = answers.get(f"q{i}") or None
        ids = {o["id"] for o in q["options"]}
        if chosen is not None and chosen not in ids:
            raise InvalidInput(
                f"question {i + 1}: {chosen} is not one of its options", field=f"q{i}"
            )
        feedback.append(
            QuestionFeedback(
                q["prompt"],
                chosen,
                q["answer"],
                chosen == q["answer"],
                q["rationale"],
                q["options"],
            )
        )
    correct = sum(f.correct for f in feedback)
    passed = check_passed(correct, len(questions))
    attempt = CheckAttempt(
        user_id=user.id,
        lesson_id=lesson.id,
        answers={k: v for k, v in answers.items() if k.startswith("q")},
        correct=correct,
        total=len(questions),
        passed=passed,
    )
    session.add(attempt)
    record_statement(
        session,
        user,
        "passed" if passed else "failed",
        lesson_activity(lesson) + "/check",
        f"Check: {lesson.title}",
        result={
            "score": {
                "raw": correct,
                "min": 0,
                "max": len(questions),
                "scaled": round(correct / len(questions), 3),
            },
            "success": passed,
            "completion": True,
        },
        lesson=lesson,
    )
    return attempt, feedback


def statements(session: Session, user_ids: set[str]) -> list[dict[str, Any]]:
    if not user_ids:
        return []
    rows = session.scalars(
        select(XapiStatement)
        .where(XapiStatement.actor_id.in_(user_ids))
        .order_by(XapiStatement.stored)
    )
    return [r.statement for r in rows]


def has_read(session: Session, user: User, lesson: Lesson) -> bool:
    return (
        session.scalar(
            select(LessonRead.id).where(
                LessonRead.user_id == user.id, LessonRead.lesson_id == lesson.id
            )
        )
        is not None
    )


def next_lesson(session: Session, lesson: Lesson) -> Lesson | None:
    """The lesson after this one in the track's order, crossing into the next module."""
    ordered = [ls for m in modules_of(session, lesson.module.track) for ls in m.lessons]
    ids = [ls.id for ls in ordered]
    index = ids.index(lesson.id)
    return ordered[index + 1] if index + 1 < len(ordered) else None


def lesson_by_source(session: Session, source: str) -> Lesson:
    lesson = session.scalar(select(Lesson).where(Lesson.source_file == source))
    if lesson is None:
        raise NotFound("no such lesson")
    return lesson
