"""What a grader may look at: the workspace's final state, its audit trail, the hidden answer
key, and what the learner submitted. Graders are pure functions of this object (no database,
no web), so they can be tested on generated practices alone."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]


@dataclass(frozen=True)
class WorkspaceState:
    resources: dict[str, list[JSON]]
    """Current (non-deleted) resources by type, e.g. resources["Patient"]. AuditEvents the
    generator planted and those the learner's own work created are both under "AuditEvent"."""
    staff: list[JSON]
    """The simulated practice's user accounts: {username, name, job_title, roles, active, ...}."""
    access_policy: dict[str, list[str]]
    """Job title -> roles that title may hold."""
    answer_key: JSON
    """The generator's AnswerKey.to_dict(), with references rewritten to "Type/id"."""
    merges: list[JSON] = field(default_factory=list)
    """Merges done and not undone: {survivor: "Patient/id", merged: "Patient/id"}."""
    submission: JSON = field(default_factory=dict)
    """What the learner submitted with the attempt (the scenario's submission form)."""
    as_of: str = "2026-11-01"
    """The practice's 'today' (ISO date): measurement periods are relative to it."""

    def of_type(self, resource_type: str) -> list[JSON]:
        return self.resources.get(resource_type, [])


@dataclass(frozen=True)
class RubricLine:
    item: str
    points: float
    max_points: float
    feedback: str


@dataclass(frozen=True)
class GradeResult:
    rubric: list[RubricLine]

    @property
    def score(self) -> float:
        """Percentage 0-100 of points earned."""
        total = sum(r.max_points for r in self.rubric)
        return round(100.0 * sum(r.points for r in self.rubric) / total, 1) if total else 0.0
