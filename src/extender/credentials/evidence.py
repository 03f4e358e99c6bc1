"""What a credential says: the achievement definition with its alignments, the result
descriptions, and the results and evidence taken from the learner's records.

A ``Basis`` is everything a credential will assert about one learner. It is plain data (it
round-trips through JSON) so that a pending approval can store exactly what staff reviewed and
the credential issued on approval says exactly that.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from extender.assessment.models import ExamSession
from extender.credentials.achievements import AchievementSpec
from extender.credentials.models import CeActivity
from extender.credentials.requirements import Evaluation
from extender.credentials.vc.ob3 import (
    AchievementDef,
    Alignment,
    EvidenceEntry,
    ResultDescription,
    ResultEntry,
)
from extender.practicum.models import ScenarioAttempt
from extender.practicum.scenarios import ScenarioSpec

PASS_MARK = 300


@dataclass
class Basis:
    evidence_key: str
    results: list[ResultEntry] = field(default_factory=list)
    evidence: list[EvidenceEntry] = field(default_factory=list)
    renewal: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "evidence_key": self.evidence_key,
            "results": [asdict(r) for r in self.results],
            "evidence": [asdict(e) for e in self.evidence],
            "renewal": self.renewal,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Basis:
        return cls(
            evidence_key=data["evidence_key"],
            results=[ResultEntry(**r) for r in data["results"]],
            evidence=[EvidenceEntry(**e) for e in data["evidence"]],
            renewal=data.get("renewal"),
        )


def achievement_url(base: str, spec: AchievementSpec) -> str:
    return f"{base}/achievements/{spec.id}"


def achievement_def(
    base: str, spec: AchievementSpec, objectives: dict[str, tuple[str, str]]
) -> AchievementDef:
    alignments = tuple(
        Alignment(
            target_name=code,
            target_url=f"{base}/tracks/{code.split('-')[0]}#{code}",
            target_code=code,
            target_framework=objectives[code][1],
            target_description=objectives[code][0],
        )
        for code in spec.alignments
    )
    return AchievementDef(
        id=achievement_url(base, spec),
        name=spec.name,
        description=spec.description,
        criteria_narrative=spec.criteria,
        achievement_type=spec.achievement_type,
        alignments=alignments,
        tags=tuple(spec.tags),
    )


def result_descriptions(base: str, spec: AchievementSpec) -> list[ResultDescription]:
    url = achievement_url(base, spec)
    out: list[ResultDescription] = []
    if spec.requirements.exam:
        out += [
            ResultDescription(
                f"{url}#exam-score",
                f"{spec.track} exam scaled score",
                "ScaledScore",
                required_value=str(PASS_MARK),
                value_min="100",
                value_max="500",
            ),
            ResultDescription(
                f"{url}#exam-result",
                f"{spec.track} exam result",
                "Result",
                allowed_values=("Pass", "Fail"),
                required_value="Pass",
            ),
        ]
    out += [
        ResultDescription(
            f"{url}#scenario-{req.slug}",
            f"Practicum scenario score: {req.slug}",
            "Percent",
            required_value=str(req.min_score),
            value_min="0",
            value_max="100",
        )
        for req in spec.requirements.scenarios
    ]
    if spec.renewal is not None:
        out.append(
            ResultDescription(
                f"{url}#ce-credits",
                "Continuing-education credits in the validity period",
                "RawScore",
                required_value=f"{spec.renewal.ce_credits:g}",
                value_min="0",
            )
        )
    return out


def _day(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d") if moment else "unknown date"


def exam_part(base: str, spec: AchievementSpec, exam: ExamSession) -> Basis:
    url = achievement_url(base, spec)
    score = exam.scaled_score or 0
    return Basis(
        evidence_key=f"exam:{exam.id}",
        results=[
            ResultEntry(f"{url}#exam-score", str(score), "Completed"),
            ResultEntry(f"{url}#exam-result", "Pass" if exam.passed else "Fail", "Completed"),
        ],
        evidence=[
            EvidenceEntry(
                id=f"{base}/evidence/exam/{exam.id}",
                name=f"{spec.track} certification exam",
                description=(
                    f"Passed the {spec.track} certification exam on {_day(exam.submitted_at)} "
                    f"with a scaled score of {score} (pass mark {PASS_MARK} on a 100-500 scale)."
                ),
                narrative=(
                    f"A timed exam of {exam.max_score or 0} items assembled to the {spec.track} "
                    f"blueprint; {exam.raw_score or 0} answered correctly."
                ),
                genre="Examination",
            )
        ],
    )


def scenario_part(
    base: str,
    spec: AchievementSpec,
    attempt: ScenarioAttempt,
    scenario: ScenarioSpec,
    min_score: int,
    minutes: int,
) -> Basis:
    url = achievement_url(base, spec)
    score = attempt.score or 0.0
    lines = (attempt.rubric or {}).get("lines", [])
    rubric = "; ".join(
        f"{line['item']}: {line['points']:g}/{line['max_points']:g}" for line in lines
    )
    return Basis(
        evidence_key=f"attempt:{attempt.id}",
        results=[ResultEntry(f"{url}#scenario-{scenario.slug}", f"{score:g}", "Completed")],
        evidence=[
            EvidenceEntry(
                id=f"{base}/evidence/practicum/{attempt.id}",
                name=f"Practicum: {scenario.title}",
                description=(
                    f"Scored {score:g}% (pass mark {min_score}%) on {_day(attempt.submitted_at)} "
                    f"after {minutes} minutes in a sandbox EHR; objectives evidenced: "
                    f"{', '.join(scenario.objectives)}."
                ),
                narrative=(
                    "Graded automatically from the final state of the learner's sandbox. "
                    + (f"Rubric: {rubric}." if rubric else "")
                ),
                genre="Practicum",
            )
        ],
    )


def combine(parts: list[Basis], renewal: str | None = None) -> Basis:
    return Basis(
        evidence_key=";".join(p.evidence_key for p in parts),
        results=[r for p in parts for r in p.results],
        evidence=[e for p in parts for e in p.evidence],
        renewal=renewal,
    )


def from_evaluation(base: str, evaluation: Evaluation, minutes: dict[str, int]) -> Basis:
    spec = evaluation.spec
    parts = [exam_part(base, spec, evaluation.exam)] if evaluation.exam is not None else []
    parts += [
        scenario_part(base, spec, e.attempt, e.spec, e.min_score, minutes[e.attempt.id])
        for e in evaluation.scenarios
    ]
    return combine(parts)


def ce_part(base: str, spec: AchievementSpec, activities: list[CeActivity]) -> Basis:
    url = achievement_url(base, spec)
    total = sum(a.credits for a in activities)
    return Basis(
        evidence_key=";".join(f"ce:{a.id}" for a in activities),
        results=[ResultEntry(f"{url}#ce-credits", f"{total:g}", "Completed")],
        evidence=[
            EvidenceEntry(
                id=f"{base}/evidence/ce/{a.id}",
                name=f"Continuing education: {a.title}",
                description=(
                    f"{a.credits:g} credits from {a.provider}, completed {a.completed_on}."
                ),
                narrative=f"Recorded against the {a.track_code} track by {a.recorded_by}.",
                genre="Continuing education",
            )
            for a in activities
        ],
        renewal="ce",
    )
