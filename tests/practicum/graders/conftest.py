"""One small generated practice per grader, built once per session: generation dominates the
cost of these tests, and each practice plants only the defects its grader is about, so a
failure points at one grader."""

from __future__ import annotations

import pytest

from extender.practicum.generator import (
    DefectParams,
    GeneratedPractice,
    PracticeParams,
    generate_practice,
)
from extender.practicum.graders.state import WorkspaceState

from .sandbox import to_state


def _practice(
    patients: int, seed: int, *, audit_days: int = 3, years: int = 5, **defects: int
) -> GeneratedPractice:
    chosen = DefectParams(**{**vars(DefectParams.none()), **defects})
    params = PracticeParams(
        patients=patients, seed=seed, audit_days=audit_days, years_of_history=years, defects=chosen
    )
    return generate_practice(params)


@pytest.fixture(scope="session")
def duplicates_practice() -> GeneratedPractice:
    return _practice(80, 21, duplicate_patients=4, lookalike_patients=2)


@pytest.fixture(scope="session")
def provisioning_practice() -> GeneratedPractice:
    return _practice(60, 33, overprivileged_accounts=3)


@pytest.fixture(scope="session")
def measure_practice() -> GeneratedPractice:
    return _practice(160, 42, years=3, miscoded_results=5)


@pytest.fixture(scope="session")
def privacy_practice() -> GeneratedPractice:
    return _practice(
        90,
        57,
        audit_days=14,
        coworker_accesses=1,
        vip_accesses=1,
        after_hours_browsing=1,
        family_accesses=1,
    )


@pytest.fixture(scope="session")
def duplicates_state(duplicates_practice: GeneratedPractice) -> WorkspaceState:
    return to_state(duplicates_practice)


@pytest.fixture(scope="session")
def provisioning_state(provisioning_practice: GeneratedPractice) -> WorkspaceState:
    return to_state(provisioning_practice)


@pytest.fixture(scope="session")
def measure_state(measure_practice: GeneratedPractice) -> WorkspaceState:
    return to_state(measure_practice)


@pytest.fixture(scope="session")
def privacy_state(privacy_practice: GeneratedPractice) -> WorkspaceState:
    return to_state(privacy_practice)
