"""What a site's recruiters see of each learner while ranking a match round.

The same visibility rules as everywhere else in placement: a learner's portfolio sections are
shown as the learner chose (``profiles.visible_sections``). Ranking a site's opportunity in the
round counts as applying to that organization, as does a real application; otherwise only the
sections opened to every employer are shown. Only verified items appear (the portfolio: passed
practicum scenarios and passed, scored exams), never failed sittings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from extender.accounts.models import Organization, User
from extender.placement import portfolio as portfolios
from extender.placement import profiles
from extender.placement.match_models import MatchRound
from extender.placement.match_ranks import LEARNER, rank_lists
from extender.placement.models import LearnerProfile, Opportunity
from extender.placement.portfolio import PortfolioItem
from extender.practicum.scenarios import ScenarioSpec


@dataclass(frozen=True)
class SiteView:
    """One learner as the site sees them; ``None`` for a section the learner does not show."""

    ranked_you: bool
    practicum: list[PortfolioItem] | None
    exams: list[PortfolioItem] | None
    credentials: list[PortfolioItem] | None


def for_site(
    session: Session,
    rnd: MatchRound,
    opp: Opportunity,
    learners: Sequence[User],
    scenarios: Mapping[str, ScenarioSpec],
) -> dict[str, SiteView]:
    ids = [u.id for u in learners]
    if not ids:
        return {}
    org = session.get(Organization, opp.org_id)
    assert org is not None
    stored = {
        p.user_id: p
        for p in session.scalars(select(LearnerProfile).where(LearnerProfile.user_id.in_(ids)))
    }
    lists = rank_lists(session, rnd, LEARNER)
    books = portfolios.portfolios(session, ids, scenarios)
    out: dict[str, SiteView] = {}
    for uid in ids:
        ranked_you = opp.id in lists.get(uid, [])
        applied = ranked_you or profiles.applied_to_org(session, uid, org)
        sections = profiles.visible_sections(stored.get(uid), applied=applied)
        book = books[uid]
        out[uid] = SiteView(
            ranked_you=ranked_you,
            practicum=book.practicum if "practicum" in sections else None,
            exams=book.exams if "exams" in sections else None,
            credentials=book.credentials if "credentials" in sections else None,
        )
    return out
