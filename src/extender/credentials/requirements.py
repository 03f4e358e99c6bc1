"""Does a learner meet an achievement's requirements? Answered from the real records: exam
sessions (passed, scaled score) and submitted practicum attempts (score, date).

The rule, per achievement: a passed exam for the track when the achievement asks for one, and
for every required scenario a submitted attempt scoring at least the required score; when
``within_months`` is set, every chosen scenario attempt must be submitted within that many
months (before or after) of the chosen exam. Among several qualifying records the most recent
exam is tried first, and for each scenario the attempt closest in time to it.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from extender.accounts.models import User
from extender.assessment import delivery
from extender.assessment.models import ExamSession
from extender.credentials.achievements import AchievementSpec, ScenarioRequirement
from extender.curriculum import service as curriculum
from extender.practicum import service as practicum
from extender.practicum.models import ScenarioAttempt
from extender.practicum.scenarios import ScenarioSpec


def add_months(when: datetime, months: int) -> datetime:
    """The same day and time ``months`` later (or earlier), clamped to the month's last day."""
    total = when.month - 1 + months
    year, month = when.year + total // 12, total % 12 + 1
    day = min(when.day, calendar.monthrange(year, month)[1])
    return when.replace(year=year, month=month, day=day)


@dataclass(frozen=True)
class ScenarioEvidence:
    attempt: ScenarioAttempt
    spec: ScenarioSpec
    min_score: int


@dataclass
class Evaluation:
    spec: AchievementSpec
    met: bool
    exam: ExamSession | None = None
    scenarios: list[ScenarioEvidence] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    @property
    def evidence_key(self) -> str:
        """Names the exact records used, so the same evidence is never acted on twice."""
        parts = [f"exam:{self.exam.id}"] if self.exam else []
        parts += [f"attempt:{e.attempt.id}" for e in self.scenarios]
        return ";".join(parts)

    @property
    def completed_at(self) -> datetime | None:
        dates = [e.attempt.submitted_at for e in self.scenarios if e.attempt.submitted_at]
        if self.exam is not None and self.exam.submitted_at is not None:
            dates.append(self.exam.submitted_at)
        return max(dates) if dates else None


@dataclass(frozen=True)
class LearnerRecord:
    """What a learner has done, read once and shared by every achievement's evaluation."""

    passed_exams: dict[str, list[ExamSession]]
    attempts: list[ScenarioAttempt]


def learner_record(session: Session, user: User) -> LearnerRecord:
    codes = {t.id: t.code for t in curriculum.list_tracks(session)}
    exams: dict[str, list[ExamSession]] = {}
    for exam in delivery.sessions_of(session, user):
        if exam.passed and exam.submitted_at is not None and exam.track_id in codes:
            exams.setdefault(codes[exam.track_id], []).append(exam)
    for sittings in exams.values():
        sittings.sort(key=lambda e: e.submitted_at or e.started_at, reverse=True)
    attempts = [
        a
        for a in practicum.attempts_of(session, user)
        if a.submitted_at is not None and a.score is not None
    ]
    return LearnerRecord(exams, attempts)


def _closest(
    req: ScenarioRequirement, attempts: list[ScenarioAttempt], anchor: datetime | None
) -> ScenarioAttempt | None:
    qualifying = [
        a for a in attempts if a.scenario_slug == req.slug and (a.score or 0) >= req.min_score
    ]
    if not qualifying:
        return None
    if anchor is None:
        return max(qualifying, key=lambda a: a.submitted_at or a.started_at)
    return min(qualifying, key=lambda a: abs(((a.submitted_at or anchor) - anchor).total_seconds()))


def _in_window(attempt: ScenarioAttempt, anchor: datetime, months: int) -> bool:
    done = attempt.submitted_at
    return done is not None and add_months(anchor, -months) <= done <= add_months(anchor, months)


def evaluate(
    spec: AchievementSpec, record: LearnerRecord, scenarios: dict[str, ScenarioSpec]
) -> Evaluation:
    reqs = spec.requirements
    exams: list[ExamSession | None] = list(record.passed_exams.get(spec.track, []))
    if not reqs.exam:
        exams = [None]
    elif not exams:
        needed = [f"pass the {spec.track} certification exam"]
        needed += [
            f"score {r.min_score}% or more in the practicum scenario {r.slug}"
            for r in reqs.scenarios
            if _closest(r, record.attempts, None) is None
        ]
        return Evaluation(spec, False, missing=needed)
    best: Evaluation | None = None
    for exam in exams:
        anchor = exam.submitted_at if exam is not None else None
        found: list[ScenarioEvidence] = []
        missing: list[str] = []
        for req in reqs.scenarios:
            attempt = _closest(req, record.attempts, anchor)
            if attempt is None:
                missing.append(
                    f"score {req.min_score}% or more in the practicum scenario {req.slug}"
                )
            elif (
                anchor is not None
                and reqs.within_months is not None
                and not _in_window(attempt, anchor, reqs.within_months)
            ):
                missing.append(
                    f"pass the practicum scenario {req.slug} within {reqs.within_months} months "
                    "of the exam"
                )
            else:
                found.append(ScenarioEvidence(attempt, scenarios[req.slug], req.min_score))
        result = Evaluation(spec, not missing, exam, found, missing)
        if result.met:
            return result
        if best is None or len(missing) < len(best.missing):
            best = result
    assert best is not None
    return best
