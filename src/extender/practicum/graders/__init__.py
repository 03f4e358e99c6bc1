"""Practicum graders: pure functions from a workspace's final state to a rubric.

A scenario names its grader by key (``grader:`` in scenario.yaml); the practicum service looks
the key up here, builds a ``WorkspaceState`` and stores the ``GradeResult`` as evidence. Keys
are part of the content contract, so a key is never renamed once a scenario ships with it.
"""

from __future__ import annotations

from collections.abc import Callable

from extender.practicum.graders.duplicates import grade_duplicates
from extender.practicum.graders.lab_interface import grade_lab_interface
from extender.practicum.graders.measure import grade_measure
from extender.practicum.graders.privacy import grade_privacy
from extender.practicum.graders.provisioning import grade_provisioning
from extender.practicum.graders.state import GradeResult, RubricLine, WorkspaceState

Grader = Callable[[WorkspaceState], GradeResult]

GRADERS: dict[str, Grader] = {
    "duplicates": grade_duplicates,
    "provisioning": grade_provisioning,
    "measure": grade_measure,
    "privacy": grade_privacy,
    "lab_interface": grade_lab_interface,
}

__all__ = ["GRADERS", "GradeResult", "Grader", "RubricLine", "WorkspaceState"]
