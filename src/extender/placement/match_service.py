"""Cohort match rounds: a program opens a round, adds opportunities and learners, and opens
ranking; staff run the learner-proposing match, review it and publish it. The rank lists
themselves, and the checks made when they are submitted, are in `match_ranks`.

A run stores its whole result, including the blocking-pair check, and a round is frozen once
published. Authorization by role happens in the routes.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from extender.accounts import service as accounts
from extender.accounts.audit import Actor
from extender.accounts.models import Organization, OrgKind, Role, User
from extender.curriculum import service as curriculum
from extender.db import utcnow
from extender.errors import Conflict, InvalidInput, NotFound
from extender.placement.match_models import MatchLearner, MatchOpportunity, MatchRank, MatchRound
from extender.placement.match_ranks import (
    LEARNER,
    SITE,
    audit_round,
    check_changeable,
    invalidate_result,
    is_participant,
    participation,
    rank_lists,
)
from extender.placement.matching import MatchInstance, find_blocking_pairs, run_match
from extender.placement.models import Opportunity
from extender.placement.notify import announce_match

MATCHABLE_KINDS = ("shadowing", "internship")
OPEN_STATUSES = ("draft", "collecting", "run")
MAX_CAPACITY = 1000
"""A round's capacity override has the same bounds as an opportunity's slots (1 to 1000)."""


# --- reading ------------------------------------------------------------------------------------


def get_round(session: Session, round_id: str) -> MatchRound:
    rnd = session.get(MatchRound, round_id)
    if rnd is None:
        raise NotFound(f"no match round {round_id}")
    return rnd


def round_in_program(session: Session, program: Organization | None, round_id: str) -> MatchRound:
    """The round, if it belongs to this program; otherwise "not found", as for cohorts."""
    rnd = session.get(MatchRound, round_id)
    if rnd is None or program is None or rnd.program_id != program.id:
        raise NotFound(f"no match round {round_id} in this program")
    return rnd


def rounds_of_program(session: Session, program: Organization) -> list[MatchRound]:
    stmt = select(MatchRound).where(MatchRound.program_id == program.id)
    return list(session.scalars(stmt.order_by(MatchRound.created_at.desc())))


def latest_open_round(session: Session, program: Organization) -> MatchRound | None:
    stmt = select(MatchRound).where(
        MatchRound.program_id == program.id, MatchRound.status.in_(OPEN_STATUSES)
    )
    return session.scalars(stmt.order_by(MatchRound.created_at.desc()).limit(1)).first()


def round_opportunities(
    session: Session, rnd: MatchRound
) -> list[tuple[MatchOpportunity, Opportunity]]:
    rows = session.execute(
        select(MatchOpportunity, Opportunity)
        .join(Opportunity, Opportunity.id == MatchOpportunity.opportunity_id)
        .where(MatchOpportunity.round_id == rnd.id)
        .order_by(Opportunity.title, Opportunity.id)
    ).all()
    return [(mo, opp) for mo, opp in rows]


def capacity(mo: MatchOpportunity, opp: Opportunity) -> int:
    return mo.capacity if mo.capacity is not None else opp.slots


def _capacity_out_of_range() -> InvalidInput:
    return InvalidInput(
        f"capacity must be a whole number from 1 to {MAX_CAPACITY}", field="capacity"
    )


def check_capacity(value: int | None) -> int | None:
    """A capacity override, or None for "the opportunity's slots"; refused outside 1 to
    MAX_CAPACITY (a larger number would not even fit the database's integer column)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_CAPACITY:
        raise _capacity_out_of_range()
    return value


def parse_capacity(text: str) -> int | None:
    """A capacity typed into a form: blank for none, otherwise as `check_capacity`. Very long
    digit strings are refused before conversion, so no size of input reaches ``int()``."""
    text = text.strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or len(text) > 9:
        raise _capacity_out_of_range()
    return check_capacity(int(text))


def round_learners(session: Session, rnd: MatchRound) -> list[User]:
    stmt = (
        select(User)
        .join(MatchLearner, MatchLearner.user_id == User.id)
        .where(MatchLearner.round_id == rnd.id)
        .order_by(User.display_name, User.id)
    )
    return list(session.scalars(stmt))


def rounds_of_learner(session: Session, user: User) -> list[MatchRound]:
    stmt = (
        select(MatchRound)
        .join(MatchLearner, MatchLearner.round_id == MatchRound.id)
        .where(MatchLearner.user_id == user.id, MatchRound.status != "draft")
    )
    return list(session.scalars(stmt.order_by(MatchRound.created_at.desc())))


def sites_of_recruiter(session: Session, user: User) -> list[tuple[MatchRound, Opportunity]]:
    """Every (round, opportunity) this recruiter ranks learners for."""
    org_ids = [m.organization_id for m in user.memberships if m.role == Role.EMPLOYER_RECRUITER]
    rows = session.execute(
        select(MatchRound, Opportunity)
        .join(MatchOpportunity, MatchOpportunity.round_id == MatchRound.id)
        .join(Opportunity, Opportunity.id == MatchOpportunity.opportunity_id)
        .where(Opportunity.org_id.in_(org_ids), MatchRound.status != "draft")
        .order_by(MatchRound.created_at.desc(), Opportunity.title)
    ).all()
    return [(rnd, opp) for rnd, opp in rows]


# --- staff: setting a round up ------------------------------------------------------------------


def create_round(
    session: Session,
    actor: Actor,
    program: Organization,
    *,
    title: str,
    cohort_slug: str | None = None,
    rank_deadline: datetime | None = None,
) -> MatchRound:
    if program.kind != OrgKind.TRAINING_PROGRAM:
        raise InvalidInput(f"{program.name} is not a training program", field="program")
    title = title.strip()
    if not title or len(title) > 200:
        raise InvalidInput("a round needs a title of 1 to 200 characters", field="title")
    cohort = curriculum.cohort_in_program(session, program, cohort_slug) if cohort_slug else None
    rnd = MatchRound(
        program_id=program.id,
        cohort_id=cohort.id if cohort else None,
        title=title,
        rank_deadline=rank_deadline,
        created_by=actor.email or "system",
    )
    session.add(rnd)
    session.flush()
    audit_round(session, actor, rnd, "match.create", after=_summary(rnd, cohort_slug))
    return rnd


def add_opportunity(
    session: Session,
    actor: Actor,
    rnd: MatchRound,
    opportunity_id: str,
    capacity_override: int | None = None,
) -> MatchOpportunity:
    check_changeable(rnd)
    capacity_override = check_capacity(capacity_override)
    opp = session.get(Opportunity, opportunity_id)
    if opp is None or opp.status != "published":
        # A draft or closed opportunity of another organization is not the program's to see:
        # answer as for an unknown id, without its title.
        raise InvalidInput(f"no published opportunity {opportunity_id!r}", field="opportunity")
    if opp.kind not in MATCHABLE_KINDS:
        raise InvalidInput(
            f"opportunity {opp.title!r} is a {opp.kind} opportunity; only published "
            f"{' and '.join(MATCHABLE_KINDS)} opportunities can join a match",
            field="opportunity",
        )
    if participation(session, rnd, opp.id) is not None:
        raise Conflict(f"opportunity {opp.title!r} is already in this round")
    mo = MatchOpportunity(round_id=rnd.id, opportunity_id=opp.id, capacity=capacity_override)
    session.add(mo)
    invalidate_result(rnd)
    session.flush()
    audit_round(
        session,
        actor,
        rnd,
        "match.add_opportunity",
        after={"opportunity": opp.id, "title": opp.title, "capacity": capacity(mo, opp)},
    )
    return mo


def remove_opportunity(
    session: Session, actor: Actor, rnd: MatchRound, opportunity_id: str
) -> None:
    """Take an opportunity out, with every rank naming it (a closed one blocks a run)."""
    check_changeable(rnd)
    mo = participation(session, rnd, opportunity_id)
    if mo is None:
        raise NotFound(f"opportunity {opportunity_id} is not in this round")
    session.execute(
        delete(MatchRank).where(
            MatchRank.round_id == rnd.id, MatchRank.opportunity_id == opportunity_id
        )
    )
    session.delete(mo)
    invalidate_result(rnd)
    session.flush()
    audit_round(
        session, actor, rnd, "match.remove_opportunity", before={"opportunity": opportunity_id}
    )


def add_learner(session: Session, actor: Actor, rnd: MatchRound, user: User) -> MatchLearner:
    check_changeable(rnd)
    if user.id not in _eligible_learner_ids(session, rnd):
        raise InvalidInput(
            f"{user.email} is not an active learner of this round's cohort", field="email"
        )
    if is_participant(session, rnd, user):
        raise Conflict(f"{user.email} is already in this round")
    ml = MatchLearner(round_id=rnd.id, user_id=user.id)
    session.add(ml)
    invalidate_result(rnd)
    session.flush()
    audit_round(session, actor, rnd, "match.add_learner", after={"learner": user.email})
    return ml


def add_cohort_learners(session: Session, actor: Actor, rnd: MatchRound) -> int:
    """Add every eligible learner not yet in the round; return how many were added."""
    check_changeable(rnd)
    present = {u.id for u in round_learners(session, rnd)}
    added = [uid for uid in sorted(_eligible_learner_ids(session, rnd)) if uid not in present]
    session.add_all(MatchLearner(round_id=rnd.id, user_id=uid) for uid in added)
    if added:
        invalidate_result(rnd)
    session.flush()
    audit_round(session, actor, rnd, "match.add_learners", after={"added": len(added)})
    return len(added)


def remove_learner(session: Session, actor: Actor, rnd: MatchRound, user_id: str) -> User:
    """Take a learner out, with their own rank list and every site's rank of them; like
    removing an opportunity, allowed until the round is published (a stored result is
    discarded). Returns the learner."""
    check_changeable(rnd)
    ml = session.scalar(
        select(MatchLearner).where(MatchLearner.round_id == rnd.id, MatchLearner.user_id == user_id)
    )
    user = session.get(User, user_id) if ml is not None else None
    if ml is None or user is None:
        raise NotFound(f"learner {user_id} is not in this round")
    session.execute(
        delete(MatchRank).where(MatchRank.round_id == rnd.id, MatchRank.learner_id == user_id)
    )
    session.delete(ml)
    invalidate_result(rnd)
    session.flush()
    audit_round(
        session, actor, rnd, "match.remove_learner", before={"learner": user.email, "id": user.id}
    )
    return user


def open_ranking(session: Session, actor: Actor, rnd: MatchRound) -> None:
    if rnd.status != "draft":
        raise Conflict(f"ranking is already open in {rnd.title!r} (status {rnd.status})")
    if not round_opportunities(session, rnd) or not round_learners(session, rnd):
        raise InvalidInput("add at least one opportunity and one learner before opening ranking")
    rnd.status = "collecting"
    audit_round(session, actor, rnd, "match.open", after={"status": "collecting"})


# --- running and publishing ---------------------------------------------------------------------


def build_instance(session: Session, rnd: MatchRound) -> MatchInstance:
    """The round as the solver sees it; refuses an opportunity closed since it joined."""
    offered = round_opportunities(session, rnd)
    for _, opp in offered:
        if opp.status == "closed":
            raise InvalidInput(
                f"opportunity {opp.title!r} ({opp.id}) was closed after it joined the round; "
                "remove it from the round and run again",
                field="opportunities",
            )
    learner_lists = rank_lists(session, rnd, LEARNER)
    site_lists = rank_lists(session, rnd, SITE)
    return MatchInstance(
        learner_prefs={u.id: learner_lists.get(u.id, []) for u in round_learners(session, rnd)},
        site_prefs={opp.id: site_lists.get(opp.id, []) for _, opp in offered},
        capacities={opp.id: capacity(mo, opp) for mo, opp in offered},
    )


def run(session: Session, actor: Actor, rnd: MatchRound) -> MatchRound:
    """Solve the round, verify the matching against the definition, and store both."""
    if rnd.status not in ("collecting", "run"):
        raise Conflict(_status_problem(rnd, "run"))
    instance = build_instance(session, rnd)
    result = run_match(instance)
    blocking = find_blocking_pairs(instance, result)
    pairs = []
    for learner, site in result.assignments.items():
        pairs.append(
            {
                "learner": learner,
                "opportunity": site,
                "learner_rank": instance.learner_prefs[learner].index(site) + 1,
                "site_rank": instance.site_prefs[site].index(learner) + 1,
            }
        )
    rnd.result = {
        "pairs": pairs,
        "unmatched_learners": list(result.unmatched_learners),
        "unfilled": dict(result.unfilled_sites),
        "blocking_pairs": [[b.learner, b.site] for b in blocking],
        "verified": not blocking,
        "learners": len(instance.learner_prefs),
        "opportunities": len(instance.site_prefs),
        "slots": sum(instance.capacities.values()),
        "learner_lists": sum(1 for r in instance.learner_prefs.values() if r),
        "site_lists": sum(1 for r in instance.site_prefs.values() if r),
    }
    rnd.status, rnd.run_at, rnd.run_by = "run", utcnow(), actor.email or "system"
    audit_round(session, actor, rnd, "match.run", after=result_summary(rnd))
    return rnd


def result_summary(rnd: MatchRound) -> dict[str, int | bool]:
    res = rnd.result or {}
    return {
        "matched": len(res.get("pairs", [])),
        "unmatched_learners": len(res.get("unmatched_learners", [])),
        "unfilled_slots": sum(res.get("unfilled", {}).values()),
        "blocking_pairs": len(res.get("blocking_pairs", [])),
        "verified": bool(res.get("verified")),
    }


def publish(session: Session, actor: Actor, rnd: MatchRound) -> int:
    """Freeze the reviewed result and tell every learner and each site's recruiters (in the
    app and by mail); returns the number of mails queued."""
    if rnd.status != "run" or rnd.result is None:
        raise Conflict(_status_problem(rnd, "publish"))
    if not rnd.result.get("verified"):
        raise Conflict("this result has blocking pairs and cannot be published")
    rnd.status, rnd.published_at, rnd.published_by = "published", utcnow(), actor.email or "system"
    offered = [opp for _, opp in round_opportunities(session, rnd)]
    sent = announce_match(session, rnd, round_learners(session, rnd), offered)
    audit_round(
        session, actor, rnd, "match.publish", after={**result_summary(rnd), "messages": sent}
    )
    return sent


# --- helpers ------------------------------------------------------------------------------------


def _summary(rnd: MatchRound, cohort_slug: str | None) -> dict[str, str | None]:
    deadline = rnd.rank_deadline.isoformat() if rnd.rank_deadline else None
    return {"title": rnd.title, "cohort": cohort_slug, "rank_deadline": deadline}


def _eligible_learner_ids(session: Session, rnd: MatchRound) -> set[str]:
    program = accounts.get_organization_by_id(session, rnd.program_id)
    cohorts = curriculum.cohorts_of_program(session, program)
    if rnd.cohort_id is not None:
        cohorts = [c for c in cohorts if c.id == rnd.cohort_id]
    return {
        user.id
        for cohort in cohorts
        for user, enrollment in curriculum.roster(session, cohort)
        if enrollment.status != "withdrawn"
    }


def _status_problem(rnd: MatchRound, verb: str) -> str:
    if rnd.status == "published":
        return f"{rnd.title!r} is already published"
    if rnd.status == "draft":
        return f"open ranking in {rnd.title!r} before you {verb} it"
    return f"run the match of {rnd.title!r} before you publish it"


def addable_opportunities(session: Session, rnd: MatchRound) -> list[Opportunity]:
    """Published shadowing and internship opportunities not yet in the round."""
    taken = select(MatchOpportunity.opportunity_id).where(MatchOpportunity.round_id == rnd.id)
    stmt = select(Opportunity).where(
        Opportunity.status == "published",
        Opportunity.kind.in_(MATCHABLE_KINDS),
        Opportunity.id.not_in(taken),
    )
    return list(session.scalars(stmt.order_by(Opportunity.title)))
