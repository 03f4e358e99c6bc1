"""The digest of new matches: for each learner with a profile, the opportunities published
since their last digest that fit (every requirement met, within reach, a wanted kind) and
that they have not applied to, sent as one mail through the outbox and noted in-app. Run by
``extender placement digest``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from extender.accounts.models import User
from extender.db import utcnow
from extender.placement import portfolio as portfolios
from extender.placement import profiles
from extender.placement.models import Application, LearnerProfile, Opportunity
from extender.placement.notify import notify
from extender.placement.recommend import Fit, rank_postings
from extender.placement.recommendations import posting_of
from extender.practicum.scenarios import ScenarioSpec

FIRST_DIGEST_LOOKBACK = timedelta(days=14)
MAX_PER_DIGEST = 10


@dataclass(frozen=True)
class DigestReport:
    learners: int
    sent: int
    opportunities: int


def new_matches(
    session: Session,
    profile: LearnerProfile,
    scenarios: Mapping[str, ScenarioSpec],
    now: datetime,
) -> list[tuple[Fit, Opportunity]]:
    """The fitting opportunities published since the last digest that the learner has not
    applied to (an application in any stage, withdrawn or declined included, leaves them out).
    The digest mail and the home page's new matches both come from here."""
    since = profile.last_digest_at or (now - FIRST_DIGEST_LOOKBACK)
    applied = exists().where(
        Application.opportunity_id == Opportunity.id, Application.user_id == profile.user_id
    )
    fresh = {
        o.id: o
        for o in session.scalars(
            select(Opportunity).where(
                Opportunity.status == "published",
                Opportunity.published_at > since,
                Opportunity.published_at <= now,
                ~applied,
            )
        )
    }
    if not fresh:
        return []
    evidence = portfolios.portfolio(session, profile.user_id, scenarios).evidence()
    seeker = profiles.seeker(profile, evidence)
    fits = rank_postings(seeker, (posting_of(o) for o in fresh.values()), len(fresh))
    wanted = [
        f
        for f in fits
        if f.eligible and f.reachable and (not seeker.kinds or f.posting.kind in seeker.kinds)
    ]
    return [(f, fresh[f.posting.id]) for f in wanted[:MAX_PER_DIGEST]]


def _body(user: User, matches: list[tuple[Fit, Opportunity]], base_url: str) -> str:
    lines = [f"Hello {user.display_name},", "", "New opportunities that fit your profile:", ""]
    for f, opp in matches:
        where = (
            "remote"
            if opp.remote
            else (f"{f.distance_miles:.0f} miles" if f.distance_miles is not None else opp.address)
        )
        lines.append(f"- {opp.title} ({opp.kind}, {where}) — fit {f.score:.0f}/100")
        lines.append(f"  {base_url}/placement/opportunities/{opp.id}")
    lines += ["", "Change what you receive on your placement profile."]
    return "\n".join(lines)


def run(
    session: Session,
    scenarios: Mapping[str, ScenarioSpec],
    *,
    base_url: str = "",
    now: datetime | None = None,
) -> DigestReport:
    now = now or utcnow()
    learners = sent = total = 0
    for profile in session.scalars(select(LearnerProfile).order_by(LearnerProfile.user_id)):
        user = session.get(User, profile.user_id)
        if user is None or not user.is_active:
            continue
        learners += 1
        matches = new_matches(session, profile, scenarios, now)
        profile.last_digest_at = now
        if not matches:
            continue
        sent += 1
        total += len(matches)
        notify(
            session,
            user,
            f"{len(matches)} new opportunities fit your profile",
            "/placement",
            subject=f"Extender: {len(matches)} new opportunities that fit you",
            body=_body(user, matches, base_url),
        )
    session.flush()
    return DigestReport(learners, sent, total)
