"""Cohort match rank lists: learners rank a round's opportunities, recruiters rank its learners
for their organization's opportunity, and staff read the lists back.

Every rank list is checked when it is submitted, so a list naming an unknown, closed or
non-participating opportunity (or learner) is refused with its name instead of being dropped
silently at run time. The rules that depend on the data (a recruiter ranks only for their own
organization's opportunity, a learner only in a round they take part in) are checked here;
authorization by role happens in the routes.

The round rules that setting a round up (`match_service`) shares with ranking live here too:
which opportunities and learners take part, whether a round may still change, dropping a stale
result, and the round's audit trail.

Nothing here tells a user about a round, opportunity or learner they have no business seeing:
another organization's opportunity, a round one is not part of, or an id that is not in the
round all answer the same way, naming only the id the user sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from extender.accounts import audit
from extender.accounts.audit import Actor
from extender.accounts.models import Role, User
from extender.db import utcnow
from extender.errors import Conflict, InvalidInput, NotFound
from extender.placement.match_models import MatchLearner, MatchOpportunity, MatchRank, MatchRound
from extender.placement.models import Opportunity

LEARNER, SITE = "learner", "site"
MAX_RANKS = 10_000
"""The longest rank list, and so the highest position a rank form may give (gaps allowed)."""


# --- reading ------------------------------------------------------------------------------------


def rank_lists(session: Session, rnd: MatchRound, side: str) -> dict[str, list[str]]:
    """Each ranker's list on one side, best first: learner -> opportunities, or
    opportunity -> learners."""
    rows = session.scalars(
        select(MatchRank)
        .where(MatchRank.round_id == rnd.id, MatchRank.side == side)
        .order_by(MatchRank.ranker_id, MatchRank.position)
    )
    lists: dict[str, list[str]] = {}
    for row in rows:
        ranked = row.opportunity_id if side == LEARNER else row.learner_id
        lists.setdefault(row.ranker_id, []).append(ranked)
    return lists


def is_participant(session: Session, rnd: MatchRound, user: User) -> bool:
    stmt = select(MatchLearner.id).where(
        MatchLearner.round_id == rnd.id, MatchLearner.user_id == user.id
    )
    return session.scalar(stmt) is not None


def site_not_found(round_id: str, opportunity_id: str) -> NotFound:
    """The one answer for a site a recruiter may not open: no such round, no such opportunity
    in it, or another organization's. Like elsewhere, 404 rather than 403, naming only the ids
    that were sent, so nobody can probe which rounds and opportunities exist."""
    return NotFound(f"no opportunity {opportunity_id} that you rank for in match round {round_id}")


def site_for_recruiter(
    session: Session, rnd: MatchRound, user: User, opportunity_id: str
) -> Opportunity:
    """The round's opportunity, if ``user`` recruits for the organization that offers it."""
    opp = session.get(Opportunity, opportunity_id)
    if (
        opp is None
        or participation(session, rnd, opp.id) is None
        or not any(
            m.organization_id == opp.org_id and m.role == Role.EMPLOYER_RECRUITER
            for m in user.memberships
        )
    ):
        raise site_not_found(rnd.id, opportunity_id)
    return opp


# --- submitting ---------------------------------------------------------------------------------


def submit_learner_ranks(
    session: Session, actor: Actor, rnd: MatchRound, learner: User, opportunity_ids: Sequence[str]
) -> None:
    """A learner's own list of the round's opportunities, best first; replaces any earlier one.

    Whether the learner takes part is checked first, so someone outside the round learns
    nothing about it (not even its title or status)."""
    if not is_participant(session, rnd, learner):
        raise NotFound(f"no match round {rnd.id} that you take part in")
    _check_rankable(rnd)
    save_rank_list(session, actor, rnd, LEARNER, learner.id, opportunity_ids)


def submit_site_ranks(
    session: Session,
    actor: Actor,
    rnd: MatchRound,
    recruiter: User,
    opportunity_id: str,
    learner_ids: Sequence[str],
) -> None:
    """A recruiter's list of learners for one of their organization's opportunities; whether
    they may rank for it is checked before anything about the round is said."""
    opp = site_for_recruiter(session, rnd, recruiter, opportunity_id)
    _check_rankable(rnd)
    save_rank_list(session, actor, rnd, SITE, opp.id, learner_ids)


def save_rank_list(
    session: Session,
    actor: Actor,
    rnd: MatchRound,
    side: str,
    ranker_id: str,
    ranked_ids: Sequence[str],
) -> None:
    """Check every entry, then replace the ranker's list. Callers have authorized the ranker."""
    check_changeable(rnd)
    ids = list(ranked_ids)
    if len(ids) > MAX_RANKS:
        raise InvalidInput(
            f"a rank list can have at most {MAX_RANKS} entries; this one has {len(ids)}",
            field="ranks",
        )
    seen: set[str] = set()
    for ranked in ids:
        if ranked in seen:
            raise InvalidInput(f"{ranked!r} is ranked more than once", field="ranks")
        seen.add(ranked)
    check = _check_ranked_opportunity if side == LEARNER else _check_ranked_learner
    for ranked in ids:
        check(session, rnd, ranked)
    session.execute(
        delete(MatchRank).where(
            MatchRank.round_id == rnd.id, MatchRank.side == side, MatchRank.ranker_id == ranker_id
        )
    )
    by = actor.email or "system"
    for position, ranked in enumerate(ids, start=1):
        learner_id, opp_id = (ranker_id, ranked) if side == LEARNER else (ranked, ranker_id)
        session.add(
            MatchRank(
                round_id=rnd.id,
                side=side,
                ranker_id=ranker_id,
                position=position,
                learner_id=learner_id,
                opportunity_id=opp_id,
                submitted_by=by,
            )
        )
    invalidate_result(rnd)
    session.flush()
    audit_round(
        session, actor, rnd, "match.rank", after={"side": side, "ranker": ranker_id, "ranks": ids}
    )


def _check_ranked_opportunity(session: Session, rnd: MatchRound, opportunity_id: str) -> None:
    """Only an opportunity of the round is named by its title (the learner sees those on their
    page); any other id, whether it exists or not, gets the same answer."""
    opp = session.get(Opportunity, opportunity_id)
    if opp is None or participation(session, rnd, opp.id) is None:
        raise InvalidInput(
            f"opportunity {opportunity_id!r} is not part of this round", field="ranks"
        )
    if opp.status == "closed":
        raise InvalidInput(f"opportunity {opp.title!r} ({opp.id}) is closed", field="ranks")


def _check_ranked_learner(session: Session, rnd: MatchRound, learner_id: str) -> None:
    """Names no one: an unknown id and a user outside the round get the same answer."""
    user = session.get(User, learner_id)
    if user is None or not is_participant(session, rnd, user):
        raise InvalidInput(
            f"learner {learner_id!r} is not taking part in this round", field="ranks"
        )


def _check_rankable(rnd: MatchRound) -> None:
    check_changeable(rnd)
    if rnd.status == "draft":
        raise Conflict(f"ranking has not opened yet in {rnd.title!r}")
    if rnd.rank_deadline is not None and utcnow() > rnd.rank_deadline:
        raise Conflict(f"the rank deadline of {rnd.title!r} passed on {rnd.rank_deadline:%Y-%m-%d}")


# --- round rules shared with match_service ------------------------------------------------------


def audit_round(
    session: Session,
    actor: Actor,
    rnd: MatchRound,
    action: str,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    audit.record(session, actor, action, "match_round", rnd.id, before=before, after=after)


def participation(
    session: Session, rnd: MatchRound, opportunity_id: str
) -> MatchOpportunity | None:
    return session.scalar(
        select(MatchOpportunity).where(
            MatchOpportunity.round_id == rnd.id, MatchOpportunity.opportunity_id == opportunity_id
        )
    )


def check_changeable(rnd: MatchRound) -> None:
    if rnd.status == "published":
        raise Conflict(f"{rnd.title!r} is published; its participants, lists and result are final")


def invalidate_result(rnd: MatchRound) -> None:
    """A change to who takes part or to a list makes a stored result stale: run again."""
    if rnd.status == "run":
        rnd.status, rnd.result = "collecting", None
