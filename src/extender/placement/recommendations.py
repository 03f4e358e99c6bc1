"""Recommendations both ways, on top of the pure scorer in ``recommend``.

A learner is scored on all their own verified evidence. A candidate shown to a recruiter is
scored only on what that learner lets the recruiter's organization see: hidden sections count
as no evidence, and without the details section neither location nor availability is used."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from extender.accounts.models import Organization, User
from extender.placement import portfolio as portfolios
from extender.placement import profiles
from extender.placement.models import LearnerProfile, Opportunity
from extender.placement.recommend import Fit, Posting, Seeker, fit, rank_postings, rank_seekers
from extender.practicum.scenarios import ScenarioSpec

POSTING_COLUMNS = (
    Opportunity.id,
    Opportunity.published_at,
    Opportunity.created_at,
    Opportunity.kind,
    Opportunity.remote,
    Opportunity.lat,
    Opportunity.lon,
    Opportunity.schedule_days,
    Opportunity.starts_on,
    Opportunity.ends_on,
    Opportunity.required_competencies,
    Opportunity.preferred_competencies,
    Opportunity.required_credentials,
)


def _posting(values: Sequence[Any]) -> Posting:
    """A Posting from the values of POSTING_COLUMNS, in that order (a result row of them)."""
    (
        id_, published_at, created_at, kind, remote, lat, lon, days, starts_on, ends_on,
        required, preferred, credentials,
    ) = values  # fmt: skip
    return Posting(
        id=id_,
        published_at=published_at or created_at,
        kind=kind,
        remote=remote,
        lat=lat,
        lon=lon,
        days=frozenset(days or ()),
        starts_on=starts_on,
        ends_on=ends_on,
        required=tuple(required or ()),
        preferred=tuple(preferred or ()),
        credentials=tuple(credentials or ()),
    )


def posting_of(opp: Opportunity) -> Posting:
    o = opp
    return _posting((
        o.id, o.published_at, o.created_at, o.kind, o.remote, o.lat, o.lon, o.schedule_days,
        o.starts_on, o.ends_on, o.required_competencies, o.preferred_competencies,
        o.required_credentials,
    ))  # fmt: skip


def seeker_for(session: Session, user: User, scenarios: Mapping[str, ScenarioSpec]) -> Seeker:
    evidence = portfolios.portfolio(session, user.id, scenarios).evidence()
    return profiles.seeker(profiles.get(session, user), evidence)


def why(
    session: Session, user: User, opp: Opportunity, scenarios: Mapping[str, ScenarioSpec]
) -> Fit:
    return fit(seeker_for(session, user, scenarios), posting_of(opp))


def for_learner(
    session: Session, user: User, scenarios: Mapping[str, ScenarioSpec], limit: int = 10
) -> list[tuple[Fit, Opportunity]]:
    """The ``limit`` best open opportunities for ``user``. Every published opportunity is
    scored, from the columns scoring reads only (no descriptions, no ORM objects); the full
    rows are loaded for the ones returned."""
    rows = session.execute(select(*POSTING_COLUMNS).where(Opportunity.status == "published"))
    postings = (_posting(row) for row in rows)
    fits = rank_postings(seeker_for(session, user, scenarios), postings, limit)
    ids = [f.posting.id for f in fits]
    opps = {o.id: o for o in session.scalars(select(Opportunity).where(Opportunity.id.in_(ids)))}
    return [(f, opps[f.posting.id]) for f in fits]


@dataclass(frozen=True)
class Candidate:
    user: User
    fit: Fit
    applied: bool


def candidates_for(
    session: Session,
    org: Organization,
    opp: Opportunity,
    scenarios: Mapping[str, ScenarioSpec],
    limit: int = 20,
) -> list[Candidate]:
    """Learners who applied to ``org`` or opened a section to every employer, ranked."""
    applied_ids = profiles.applicants_of(session, org)
    open_profiles = {p.user_id: p for p in profiles.open_to_employers(session)}
    ids = applied_ids | set(open_profiles)
    if not ids:
        return []
    stored = {
        p.user_id: p
        for p in session.scalars(select(LearnerProfile).where(LearnerProfile.user_id.in_(ids)))
    }
    books = portfolios.portfolios(session, ids, scenarios)
    seekers: list[tuple[str, Seeker]] = []
    for uid in sorted(ids):
        profile = stored.get(uid)
        sections = profiles.visible_sections(profile, applied=uid in applied_ids)
        if not sections:
            continue
        evidence = books[uid].evidence(sections & {"credentials", "practicum", "exams"})
        shown = profile if "details" in sections else None
        seekers.append((uid, profiles.seeker(shown, evidence)))
    ranked = rank_seekers(posting_of(opp), seekers, limit)
    users = {
        u.id: u for u in session.scalars(select(User).where(User.id.in_([u for u, _ in ranked])))
    }
    return [Candidate(users[uid], f, uid in applied_ids) for uid, f in ranked]


def candidate_fit(
    session: Session,
    org: Organization,
    opp: Opportunity,
    user: User,
    scenarios: Mapping[str, ScenarioSpec],
) -> Fit:
    """One applicant's fit, on what they show ``org`` only."""
    profile = profiles.get(session, user)
    sections = profiles.visible_sections(
        profile, applied=profiles.applied_to_org(session, user.id, org)
    )
    book = portfolios.portfolio(session, user.id, scenarios)
    evidence = book.evidence(sections & {"credentials", "practicum", "exams"})
    shown = profile if "details" in sections else None
    return fit(profiles.seeker(shown, evidence), posting_of(opp))
