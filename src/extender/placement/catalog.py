"""Which competency and credential codes an opportunity may name.

Competencies are objective codes (CPEHR-1.2) or whole domain codes (CPEHR-1) from the
curriculum catalog; credentials are achievement codes: a track code (CPEHR) for the
certification, or a practicum scenario slug for that scenario's badge."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from extender.curriculum.models import Domain, Objective, Track
from extender.errors import InvalidInput
from extender.practicum.scenarios import ScenarioSpec


def domain_of(code: str) -> str:
    """The domain code of an objective code (CPEHR-1.2 -> CPEHR-1); a domain code itself."""
    return code.rsplit(".", 1)[0]


def competency_codes(session: Session) -> dict[str, str]:
    """Every objective and domain code, mapped to its statement or name."""
    codes = {c: n for c, n in session.execute(select(Domain.code, Domain.name))}
    codes.update({c: s for c, s in session.execute(select(Objective.code, Objective.statement))})
    return codes


def credential_codes(session: Session, scenarios: Mapping[str, ScenarioSpec]) -> dict[str, str]:
    codes = {c: n for c, n in session.execute(select(Track.code, Track.name))}
    codes.update({slug: spec.title for slug, spec in scenarios.items()})
    return codes


def check_codes(codes: Iterable[str], known: Mapping[str, str], *, what: str, field: str) -> None:
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise InvalidInput(f"unknown {what}: {', '.join(unknown)}", field=field)
