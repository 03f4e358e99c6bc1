"""Demo data for the cohort match: a round of the demo program's fall CPEHR cohort, open for
ranking, with every active learner's and every site's list filled in, so a staff user can run
it and publish it. Idempotent: the opportunities are found by organization and title, the
round by program and title, and an existing round is left exactly as it is."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from extender.accounts.audit import Actor
from extender.accounts.models import Organization
from extender.db import utcnow
from extender.placement import match_ranks as ranks
from extender.placement import match_service as match
from extender.placement import opportunities
from extender.placement.match_models import MatchRound
from extender.placement.models import Opportunity
from extender.placement.schemas import OpportunityInput

ACTOR = Actor.system("demo-seed")
PROGRAM = "riverbend-academy"
COHORT = "cpehr-fall"
ROUND_TITLE = "CPEHR Fall shadowing match"
OPPORTUNITIES = [
    ("ohio-valley-rec", "EHR go-live support shadowing", "shadowing", 2),
    ("maple-street-fm", "Front desk and EHR workflow shadowing", "shadowing", 2),
    ("lakeside-peds", "Immunization registry shadowing", "shadowing", 1),
    ("harbor-im", "Internal medicine practicum placement", "internship", 2),
]
# Each demo site's ZIP code, so its opportunities have coordinates for distance search.
SITE_ZIPS = {
    "ohio-valley-rec": "45202",
    "maple-street-fm": "45502",
    "lakeside-peds": "44870",
    "harbor-im": "43604",
}


def seed(session: Session, *, seed: int = 7) -> MatchRound | None:
    """Create the demo round once; return it, or None when the demo world is not seeded."""
    program = _org(session, PROGRAM)
    if program is None:
        return None
    existing = session.scalar(
        select(MatchRound).where(
            MatchRound.program_id == program.id, MatchRound.title == ROUND_TITLE
        )
    )
    if existing is not None:
        return existing
    opportunities = [o for o in (_opportunity(session, *spec) for spec in OPPORTUNITIES) if o]
    rnd = match.create_round(
        session,
        ACTOR,
        program,
        title=ROUND_TITLE,
        cohort_slug=COHORT,
        rank_deadline=utcnow() + timedelta(days=14),
    )
    for opp in opportunities:
        match.add_opportunity(session, ACTOR, rnd, opp.id)
    match.add_cohort_learners(session, ACTOR, rnd)
    match.open_ranking(session, ACTOR, rnd)
    _rank(session, rnd, random.Random(seed))
    session.flush()
    return rnd


def _rank(session: Session, rnd: MatchRound, rng: random.Random) -> None:
    """Each learner ranks three of the sites; each site ranks, in its own order, the learners
    who ranked it, and leaves out one of them when it has more applicants than slots."""
    offered = match.round_opportunities(session, rnd)
    applicants: dict[str, list[str]] = {opp.id: [] for _, opp in offered}
    for learner in match.round_learners(session, rnd):
        choices = rng.sample([opp.id for _, opp in offered], k=min(3, len(offered)))
        ranks.save_rank_list(session, ACTOR, rnd, ranks.LEARNER, learner.id, choices)
        for opp_id in choices:
            applicants[opp_id].append(learner.id)
    for mo, opp in offered:
        ranked = rng.sample(applicants[opp.id], k=len(applicants[opp.id]))
        if len(ranked) > match.capacity(mo, opp) + 1:
            ranked = ranked[:-1]
        ranks.save_rank_list(session, ACTOR, rnd, ranks.SITE, opp.id, ranked)


def _org(session: Session, slug: str) -> Organization | None:
    return session.scalar(select(Organization).where(Organization.slug == slug))


def _opportunity(
    session: Session, org_slug: str, title: str, kind: str, slots: int
) -> Opportunity | None:
    """A published opportunity with this title at this organization, made if missing (the
    placement demo may already have posted it)."""
    org = _org(session, org_slug)
    if org is None:
        return None
    opp = session.scalar(
        select(Opportunity).where(Opportunity.org_id == org.id, Opportunity.title == title)
    )
    if opp is None:
        data = OpportunityInput(
            kind=kind,
            title=title,
            description=f"{title} at {org.name}, offered through the cohort match.",
            slots=slots,
            zip=SITE_ZIPS.get(org_slug),
            remote=org_slug not in SITE_ZIPS,
            address=f"{org.city}, {org.state}" if org.city else "",
        )
        opp = opportunities.create(session, ACTOR, org, data, {})
        opportunities.publish(session, ACTOR, opp)
    if opp.status != "published" or opp.kind not in match.MATCHABLE_KINDS:
        return None
    return opp
