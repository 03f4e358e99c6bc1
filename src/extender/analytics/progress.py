"""A learner's path through a cohort, and the cohort dashboard's numbers.

This sits in analytics because it reads across domains: lessons and checks (curriculum) and
practicum attempts (practicum), through their tables' public models, never writing them."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from extender.accounts.models import User
from extender.assessment.models import ExamSession
from extender.curriculum import learning
from extender.curriculum.models import (
    CheckAttempt,
    Cohort,
    CohortModule,
    CohortScenario,
    Enrollment,
    LessonRead,
    Module,
)
from extender.practicum.models import ScenarioAttempt
from extender.practicum.scenarios import ScenarioSpec
from extender.practicum.service import minutes_spent


@dataclass
class ModuleProgress:
    module: Module
    lessons: int
    read: int
    checks_passed: int
    due_on: date | None
    next_lesson: str | None

    @property
    def percent(self) -> int:
        return (
            round(100 * (self.read + self.checks_passed) / (2 * self.lessons))
            if (self.lessons)
            else 100
        )

    @property
    def done(self) -> bool:
        return self.lessons > 0 and self.read == self.checks_passed == self.lessons


@dataclass
class ScenarioProgress:
    slug: str
    title: str
    due_on: date | None
    attempts: int
    passed: bool
    best_score: float | None
    failed_attempts: int


@dataclass
class LearnerProgress:
    user: User
    enrollment: Enrollment
    modules: list[ModuleProgress]
    scenarios: list[ScenarioProgress]
    practicum_hours: float
    failed_checks_streak: int
    mastered: set[str] = field(default_factory=set)
    attempted: set[str] = field(default_factory=set)
    exam_result: str | None = None
    """The latest exam result for the track, in words, once there is one."""

    @property
    def percent(self) -> int:
        total = sum(2 * m.lessons for m in self.modules) + len(self.scenarios)
        done = sum(m.read + m.checks_passed for m in self.modules) + sum(
            s.passed for s in self.scenarios
        )
        return round(100 * done / total) if total else 0

    @property
    def exam_eligible(self) -> bool:
        return all(m.done for m in self.modules) and all(s.passed for s in self.scenarios)

    def behind(self, today: date) -> list[str]:
        late = [
            f"module “{m.module.title}” was due {m.due_on:%b %-d}"
            for m in self.modules
            if m.due_on and m.due_on < today and not m.done
        ]
        late += [
            f"scenario “{s.title}” was due {s.due_on:%b %-d}"
            for s in self.scenarios
            if s.due_on and s.due_on < today and not s.passed
        ]
        return late

    def struggling(self) -> list[str]:
        out = []
        if self.failed_checks_streak >= 2:
            out.append(f"{self.failed_checks_streak} knowledge checks failed without a pass")
        out += [
            f"{s.failed_attempts} failed attempts at “{s.title}”"
            for s in self.scenarios
            if s.failed_attempts >= 2 and not s.passed
        ]
        return out

    def next_steps(self, today: date) -> list[str]:
        steps = []
        module = next((m for m in self.modules if not m.done), None)
        if module is not None and module.next_lesson:
            due = f" (module due {module.due_on:%A, %b %-d})" if module.due_on else ""
            steps.append(f"next: lesson “{module.next_lesson}” in {module.module.title}{due}")
        for s in self.scenarios:
            if not s.passed:
                when = f" due {s.due_on:%A, %b %-d}" if s.due_on else ""
                steps.append(f"scenario “{s.title}”{when}")
                break
        if not steps and self.exam_eligible:
            steps.append("you are eligible to sit the exam")
        return steps


def _scenario_titles(specs: dict[str, ScenarioSpec]) -> dict[str, str]:
    return {slug: spec.title for slug, spec in specs.items()}


def cohort_progress(
    session: Session,
    cohort: Cohort,
    specs: dict[str, ScenarioSpec],
    users: list[tuple[User, Enrollment]],
) -> list[LearnerProgress]:
    """Progress of each given learner in one cohort, with a fixed number of queries."""
    modules = learning.modules_of(session, cohort.track)
    due = dict(
        session.execute(
            select(CohortModule.module_id, CohortModule.due_on).where(
                CohortModule.cohort_id == cohort.id
            )
        ).all()
    )
    required = list(
        session.execute(
            select(CohortScenario.scenario_slug, CohortScenario.due_on).where(
                CohortScenario.cohort_id == cohort.id
            )
        )
    )
    ids = [u.id for u, _ in users]
    lesson_ids = [lesson.id for m in modules for lesson in m.lessons]
    reads: dict[str, set[int]] = defaultdict(set)
    for uid, lid in session.execute(
        select(LessonRead.user_id, LessonRead.lesson_id).where(
            LessonRead.user_id.in_(ids), LessonRead.lesson_id.in_(lesson_ids)
        )
    ):
        reads[uid].add(lid)
    checks: dict[str, list[CheckAttempt]] = defaultdict(list)
    for attempt in session.scalars(
        select(CheckAttempt)
        .where(CheckAttempt.user_id.in_(ids), CheckAttempt.lesson_id.in_(lesson_ids))
        .order_by(CheckAttempt.attempted_at)
    ):
        checks[attempt.user_id].append(attempt)
    attempts: dict[str, list[ScenarioAttempt]] = defaultdict(list)
    for sa in session.scalars(select(ScenarioAttempt).where(ScenarioAttempt.user_id.in_(ids))):
        attempts[sa.user_id].append(sa)
    titles = _scenario_titles(specs)
    exams = _latest_exams(session, cohort.track_id, ids)
    out = [
        _learner(
            user,
            enrollment,
            modules,
            due,
            required,
            reads[user.id],
            checks[user.id],
            attempts[user.id],
            titles,
            specs,
        )
        for user, enrollment in users
    ]
    for progress in out:
        progress.exam_result = exams.get(progress.user.id)
    return out


def _latest_exams(session: Session, track_id: int, user_ids: list[str]) -> dict[str, str]:
    """Each learner's latest exam outcome for the track, in words."""
    rows = session.scalars(
        select(ExamSession)
        .where(
            ExamSession.track_id == track_id,
            ExamSession.user_id.in_(user_ids),
            ExamSession.status.in_(("submitted", "terminated")),
        )
        .order_by(ExamSession.submitted_at)
    )
    latest: dict[str, str] = {}
    for exam in rows:
        if exam.status == "terminated":
            latest[exam.user_id] = "terminated by the proctor"
        else:
            latest[exam.user_id] = (
                f"{'passed' if exam.passed else 'not passed'} "
                f"({exam.scaled_score} on {exam.submitted_at:%b %-d})"
            )
    return latest


def _learner(
    user: User,
    enrollment: Enrollment,
    modules: list[Module],
    due: dict[int, date],
    required: Sequence[tuple[str, date]],
    read: set[int],
    checks: list[CheckAttempt],
    attempts: list[ScenarioAttempt],
    titles: dict[str, str],
    specs: dict[str, ScenarioSpec],
) -> LearnerProgress:
    passed_lessons = {c.lesson_id for c in checks if c.passed}
    streak = 0
    for c in reversed(checks):
        if c.passed:
            break
        streak += 1
    mods = []
    mastered: set[str] = set()
    attempted: set[str] = set()
    tried = {c.lesson_id for c in checks}
    for m in modules:
        nxt = next(
            (ls.title for ls in m.lessons if ls.id not in read or ls.id not in passed_lessons), None
        )
        mods.append(
            ModuleProgress(
                m,
                len(m.lessons),
                sum(ls.id in read for ls in m.lessons),
                sum(ls.id in passed_lessons for ls in m.lessons),
                due.get(m.id),
                nxt,
            )
        )
        for ls in m.lessons:
            if ls.id in passed_lessons:
                mastered.update(ls.objective_codes)
            elif ls.id in tried:
                attempted.update(ls.objective_codes)
    submitted = [a for a in attempts if a.submitted_at is not None]
    for a in submitted:
        objectives = specs[a.scenario_slug].objectives if a.scenario_slug in specs else []
        (mastered if a.passed else attempted).update(objectives)
    scen = []
    for slug, due_on in required:
        mine = [a for a in submitted if a.scenario_slug == slug]
        scores = [a.score for a in mine if a.score is not None]
        scen.append(
            ScenarioProgress(
                slug,
                titles.get(slug, slug),
                due_on,
                len(mine),
                any(a.passed for a in mine),
                max(scores) if scores else None,
                sum(1 for a in mine if a.passed is False),
            )
        )
    hours = round(sum(minutes_spent(a) for a in submitted) / 60, 1)
    return LearnerProgress(
        user, enrollment, mods, scen, hours, streak, mastered, attempted - mastered
    )


@dataclass
class CohortSummary:
    learners: int
    average_percent: float
    at_risk: int
    check_first_try_pass_rate: float | None
    scenario_pass_rate: float | None
    median_days_to_complete: float | None


def summarize(session: Session, progress: list[LearnerProgress], today: date) -> CohortSummary:
    ids = [p.user.id for p in progress]
    firsts: dict[tuple[str, int], bool] = {}
    for c in session.scalars(
        select(CheckAttempt)
        .where(CheckAttempt.user_id.in_(ids))
        .order_by(CheckAttempt.attempted_at)
    ):
        firsts.setdefault((c.user_id, c.lesson_id), c.passed)
    submitted = [
        a
        for a in session.scalars(
            select(ScenarioAttempt).where(
                ScenarioAttempt.user_id.in_(ids), ScenarioAttempt.submitted_at.is_not(None)
            )
        )
    ]
    days = [
        (p.enrollment.completed_at - p.enrollment.enrolled_at).days
        for p in progress
        if p.enrollment.completed_at is not None
    ]
    return CohortSummary(
        learners=len(progress),
        average_percent=round(statistics.fmean(p.percent for p in progress), 1)
        if progress
        else 0.0,
        at_risk=sum(1 for p in progress if p.behind(today) or p.struggling()),
        check_first_try_pass_rate=round(100 * sum(firsts.values()) / len(firsts), 1)
        if firsts
        else None,
        scenario_pass_rate=round(100 * sum(bool(a.passed) for a in submitted) / len(submitted), 1)
        if submitted
        else None,
        median_days_to_complete=statistics.median(days) if days else None,
    )
