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
from extender.errors import Conflict, Forbidden, InvalidInput, NotFound
from extender.placement.match_models import MatchLearner, MatchOpportunity, MatchRank, MatchRound
from extender.placement.models import Opportunity

LEARNER, SITE = "learner", "site"


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


def site_for_recruiter(
    session: Session, rnd: MatchRound, user: User, opportunity_id: str
) -> Opportunity:
    """The round's opportunity, if ``user`` recruits for the organization that offers it."""
    opp = session.get(Opportunity, opportunity_id)
    if opp is None or participation(session, rnd, opp.id) is None:
        raise NotFound(f"no opportunity {opportunity_id} in this round")
    if not any(
        m.organization_id == opp.org_id and m.role == Role.EMPLOYER_RECRUITER
        for m in user.memberships
    ):
        raise Forbidden(f"only recruiters of the organization offering {opp.title!r} rank for it")
    return opp


# --- submitting ---------------------------------------------------------------------------------


def submit_learner_ranks(
    session: Session, actor: Actor, rnd: MatchRound, learner: User, opportunity_ids: Sequence[str]
) -> None:
    """A learner's own list of the round's opportunities, best first; replaces any earlier one."""
    _check_rankable(rnd)
    if not is_participant(session, rnd, learner):
        raise NotFound(f"you are not taking part in {rnd.title!r}")
    save_rank_list(session, actor, rnd, LEARNER, learner.id, opportunity_ids)


def submit_site_ranks(
    session: Session,
    actor: Actor,
    rnd: MatchRound,
    recruiter: User,
    opportunity_id: str,
    learner_ids: Sequence[str],
) -> None:
    """A recruiter's list of learners for one of their organization's opportunities."""
    _check_rankable(rnd)
    opp = site_for_recruiter(session, rnd, recruiter, opportunity_id)
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
    repeated = next((i for n, i in enumerate(ids) if i in ids[:n]), None)
    if repeated is not None:
        raise InvalidInput(f"{repeated!r} is ranked more than once", field="ranks")
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
    opp = known_opportunity(session, opportunity_id, field="ranks")
    if opp.status == "closed":
        raise InvalidInput(f"opportunity {opp.title!r} ({opp.id}) is closed", field="ranks")
    if participation(session, rnd, opp.id) is None:
        raise InvalidInput(
            f"opportunity {opp.title!r} ({opp.id}) is not part of this round", field="ranks"
        )


def _check_ranked_learner(session: Session, rnd: MatchRound, learner_id: str) -> None:
    user = session.get(User, learner_id)
    if user is None:
        raise InvalidInput(f"unknown learner {learner_id!r}", field="ranks")
    if not is_participant(session, rnd, user):
        raise InvalidInput(
            f"learner {user.display_name} ({user.id}) is not taking part in this round",
            field="ranks",
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


def known_opportunity(session: Session, opportunity_id: str, *, field: str) -> Opportunity:
    opp = session.get(Opportunity, opportunity_id)
    if opp is None:
        raise InvalidInput(f"unknown opportunity {opportunity_id!r}", field=field)
    return opp


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
