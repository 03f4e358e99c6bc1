"""Pages of the cohort match: the program's staff set a round up, run, review and publish it;
learners rank the round's opportunities and read their result; recruiters rank learners for
their organization's opportunity, seeing each learner's verified evidence.

Rank forms work without JavaScript: each entry has a number box, and the numbers give the order.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from extender.accounts import service as accounts
from extender.accounts.models import Role
from extender.curriculum import service as curriculum
from extender.errors import InvalidInput, NotFound
from extender.placement import match_evidence
from extender.placement import match_ranks as ranks
from extender.placement import match_service as match
from extender.placement.match_models import MatchRound
from extender.web.deps import DB, CurrentPrincipal, Principal, require
from extender.web.templating import flash, render

router = APIRouter()
ProgramStaff = Annotated[
    Principal, Depends(require(Role.INSTRUCTOR, Role.PROGRAM_ADMIN, org_param="org"))
]
ProgramAdmin = Annotated[Principal, Depends(require(Role.PROGRAM_ADMIN, org_param="org"))]
Learner = Annotated[Principal, Depends(require(Role.LEARNER))]
Recruiter = Annotated[Principal, Depends(require(Role.EMPLOYER_RECRUITER))]


def parse_rank_form(fields: Mapping[str, str], prefix: str) -> list[str]:
    """Turn form fields ``<prefix><id> = <position>`` into ids ordered by position.

    A blank box means "not ranked". Positions must be distinct whole numbers from 1 to
    ``ranks.MAX_RANKS``; gaps are allowed, since only the order counts. A very long digit string
    is refused before it is converted, so no input size reaches ``int()``.
    """
    ranked: dict[int, str] = {}
    limit = ranks.MAX_RANKS
    for name, raw in fields.items():
        text = raw.strip()
        if not name.startswith(prefix) or not text:
            continue
        ident = name[len(prefix) :]
        if (
            not (text.isascii() and text.isdigit())
            or len(text) > len(str(limit)) + 3
            or not 1 <= int(text) <= limit
        ):
            raise InvalidInput(
                f"rank {_shown(raw)!r} for {ident!r} must be a whole number from 1 to {limit}",
                field=name,
            )
        position = int(text)
        if position in ranked:
            raise InvalidInput(
                f"{ranked[position]!r} and {ident!r} are both ranked {position}", field=name
            )
        ranked[position] = ident
    return [ranked[p] for p in sorted(ranked)]


def _shown(raw: str, limit: int = 20) -> str:
    """A user's text for an error message, cut short if it is long."""
    return raw if len(raw) <= limit else raw[:limit] + "…"


async def _form_fields(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: str(v) for k, v in form.items() if k != "csrf_token"}


def _deadline(value: str) -> datetime | None:
    if not value.strip():
        return None
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(
            f"rank deadline {value!r} is not a date (YYYY-MM-DD)", field="rank_deadline"
        ) from None
    return datetime.combine(day, time(23, 59, 59), tzinfo=UTC)


def _round_url(rnd: MatchRound, org: str) -> str:
    return f"/programs/{org}/match/{rnd.id}"


# --- staff ------------------------------------------------------------------------------------


@router.get("/programs/{org}/match", response_class=HTMLResponse)
def rounds_page(request: Request, db: DB, principal: ProgramStaff, org: str) -> Response:
    assert principal.org is not None
    return render(
        request,
        "match_program.html",
        principal,
        {
            "org": principal.org,
            "rounds": match.rounds_of_program(db, principal.org),
            "cohorts": curriculum.cohorts_of_program(db, principal.org),
            "can_edit": principal.has_role(Role.PROGRAM_ADMIN, principal.org.id),
        },
    )


@router.post("/programs/{org}/match")
def create_round(
    request: Request,
    db: DB,
    principal: ProgramAdmin,
    org: str,
    title: Annotated[str, Form()] = "",
    cohort: Annotated[str, Form()] = "",
    rank_deadline: Annotated[str, Form()] = "",
) -> Response:
    assert principal.org is not None
    rnd = match.create_round(
        db,
        principal.actor,
        principal.org,
        title=title,
        cohort_slug=cohort or None,
        rank_deadline=_deadline(rank_deadline),
    )
    db.commit()
    flash(request, f"Round {rnd.title!r} created. Add opportunities and learners.")
    return RedirectResponse(_round_url(rnd, org), status_code=303)


@router.get("/programs/{org}/match/{round_id}", response_class=HTMLResponse)
def round_page(
    request: Request, db: DB, principal: ProgramStaff, org: str, round_id: str
) -> Response:
    rnd = match.round_in_program(db, principal.org, round_id)
    offered = match.round_opportunities(db, rnd)
    learners = match.round_learners(db, rnd)
    learner_lists = ranks.rank_lists(db, rnd, ranks.LEARNER)
    site_lists = ranks.rank_lists(db, rnd, ranks.SITE)
    orgs = {o.id: o for o in accounts.list_organizations(db)}
    result = rnd.result or {}
    return render(
        request,
        "match_round.html",
        principal,
        {
            "org": principal.org,
            "rnd": rnd,
            "offered": offered,
            "orgs": orgs,
            "learners": learners,
            "names": {u.id: u.display_name for u in learners},
            "titles": {opp.id: opp.title for _, opp in offered},
            "learner_lists": learner_lists,
            "site_lists": site_lists,
            "capacity": match.capacity,
            "max_capacity": match.MAX_CAPACITY,
            "result": result,
            "summary": match.result_summary(rnd) if rnd.result else None,
            "addable": match.addable_opportunities(db, rnd) if rnd.status != "published" else [],
            "can_edit": principal.org is not None
            and principal.has_role(Role.PROGRAM_ADMIN, principal.org.id),
        },
    )


@router.post("/programs/{org}/match/{round_id}/opportunities")
def add_opportunity(
    request: Request,
    db: DB,
    principal: ProgramAdmin,
    org: str,
    round_id: str,
    opportunity: Annotated[str, Form()] = "",
    capacity: Annotated[str, Form()] = "",
) -> Response:
    rnd = match.round_in_program(db, principal.org, round_id)
    match.add_opportunity(db, principal.actor, rnd, opportunity, match.parse_capacity(capacity))
    db.commit()
    flash(request, "Opportunity added.")
    return RedirectResponse(_round_url(rnd, org), status_code=303)


@router.post("/programs/{org}/match/{round_id}/opportunities/{opportunity_id}/remove")
def remove_opportunity(
    request: Request, db: DB, principal: ProgramAdmin, org: str, round_id: str, opportunity_id: str
) -> Response:
    rnd = match.round_in_program(db, principal.org, round_id)
    match.remove_opportunity(db, principal.actor, rnd, opportunity_id)
    db.commit()
    flash(request, "Opportunity removed, with every rank that named it.")
    return RedirectResponse(_round_url(rnd, org), status_code=303)


@router.post("/programs/{org}/match/{round_id}/learners")
def add_learners(
    request: Request,
    db: DB,
    principal: ProgramAdmin,
    org: str,
    round_id: str,
    email: Annotated[str, Form()] = "",
) -> Response:
    rnd = match.round_in_program(db, principal.org, round_id)
    if email.strip():
        user = accounts.find_user_by_email(db, email)
        if user is None:
            raise InvalidInput(f"no account with the email {email.strip()!r}", field="email")
        match.add_learner(db, principal.actor, rnd, user)
        message = f"{user.display_name} added."
    else:
        added = match.add_cohort_learners(db, principal.actor, rnd)
        message = f"{added} learner{'s' if added != 1 else ''} added."
    db.commit()
    flash(request, message)
    return RedirectResponse(_round_url(rnd, org), status_code=303)


@router.post("/programs/{org}/match/{round_id}/learners/{user_id}/remove")
def remove_learner(
    request: Request, db: DB, principal: ProgramAdmin, org: str, round_id: str, user_id: str
) -> Response:
    rnd = match.round_in_program(db, principal.org, round_id)
    user = match.remove_learner(db, principal.actor, rnd, user_id)
    db.commit()
    flash(request, f"{user.display_name} removed, with their list and every rank that named them.")
    return RedirectResponse(_round_url(rnd, org), status_code=303)


def _round_step(
    request: Request, db: DB, principal: Principal, org: str, round_id: str, step: str
) -> Response:
    rnd = match.round_in_program(db, principal.org, round_id)
    if step == "open":
        match.open_ranking(db, principal.actor, rnd)
        message = "Ranking is open: learners and sites can submit their lists."
    elif step == "run":
        match.run(db, principal.actor, rnd)
        message = "Match run. Review the result below before publishing it."
    else:
        sent = match.publish(db, principal.actor, rnd)
        message = f"Published; {sent} notification{'s' if sent != 1 else ''} queued."
    db.commit()
    flash(request, message)
    return RedirectResponse(_round_url(rnd, org), status_code=303)


@router.post("/programs/{org}/match/{round_id}/open")
def open_ranking(
    request: Request, db: DB, principal: ProgramAdmin, org: str, round_id: str
) -> Response:
    return _round_step(request, db, principal, org, round_id, "open")


@router.post("/programs/{org}/match/{round_id}/run")
def run_round(
    request: Request, db: DB, principal: ProgramAdmin, org: str, round_id: str
) -> Response:
    return _round_step(request, db, principal, org, round_id, "run")


@router.post("/programs/{org}/match/{round_id}/publish")
def publish_round(
    request: Request, db: DB, principal: ProgramAdmin, org: str, round_id: str
) -> Response:
    return _round_step(request, db, principal, org, round_id, "publish")


# --- learners and recruiters --------------------------------------------------------------------


@router.get("/match", response_class=HTMLResponse)
def my_rounds(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    return render(
        request,
        "match_index.html",
        principal,
        {
            "rounds": match.rounds_of_learner(db, principal.user),
            "sites": match.sites_of_recruiter(db, principal.user),
        },
    )


def _learner_round(db: DB, principal: Principal, round_id: str) -> MatchRound:
    rnd = db.get(MatchRound, round_id)
    if rnd is None or not ranks.is_participant(db, rnd, principal.user):
        raise NotFound(f"no match round {round_id} that you take part in")
    return rnd


@router.get("/match/{round_id}", response_class=HTMLResponse)
def learner_page(request: Request, db: DB, principal: Learner, round_id: str) -> Response:
    rnd = _learner_round(db, principal, round_id)
    mine = ranks.rank_lists(db, rnd, ranks.LEARNER).get(principal.user.id, [])
    placed = None
    if rnd.status == "published" and rnd.result:
        placed = next((p for p in rnd.result["pairs"] if p["learner"] == principal.user.id), None)
    offered = match.round_opportunities(db, rnd)
    return render(
        request,
        "match_learner.html",
        principal,
        {
            "rnd": rnd,
            "offered": offered,
            "orgs": {o.id: o for o in accounts.list_organizations(db)},
            "position": {oid: n for n, oid in enumerate(mine, start=1)},
            "placed": placed,
            "titles": {opp.id: opp.title for _, opp in offered},
        },
    )


@router.post("/match/{round_id}/ranks")
async def learner_ranks(request: Request, db: DB, principal: Learner, round_id: str) -> Response:
    rnd = _learner_round(db, principal, round_id)
    ranked = parse_rank_form(await _form_fields(request), "rank-")
    ranks.submit_learner_ranks(db, principal.actor, rnd, principal.user, ranked)
    db.commit()
    flash(request, f"Your list of {len(ranked)} opportunities is saved.")
    return RedirectResponse(f"/match/{rnd.id}", status_code=303)


class RankListIn(BaseModel):
    ranks: list[str] = Field(
        description="ids of the round's opportunities, best first", max_length=ranks.MAX_RANKS
    )


@router.post("/api/v1/match/{round_id}/ranks", summary="Submit your rank list for a match round")
def learner_ranks_api(
    db: DB, principal: Learner, round_id: str, body: RankListIn
) -> dict[str, Any]:
    rnd = _learner_round(db, principal, round_id)
    ranks.submit_learner_ranks(db, principal.actor, rnd, principal.user, body.ranks)
    db.commit()
    return {"round": rnd.id, "ranks": body.ranks}


def _site_round(db: DB, round_id: str, opportunity_id: str) -> MatchRound:
    """The round of a site page; a missing round answers exactly like a site the recruiter may
    not open, so the answer does not tell which round ids exist."""
    rnd = db.get(MatchRound, round_id)
    if rnd is None:
        raise ranks.site_not_found(round_id, opportunity_id)
    return rnd


@router.get("/match/{round_id}/sites/{opportunity_id}", response_class=HTMLResponse)
def site_page(
    request: Request, db: DB, principal: Recruiter, round_id: str, opportunity_id: str
) -> Response:
    rnd = _site_round(db, round_id, opportunity_id)
    opp = ranks.site_for_recruiter(db, rnd, principal.user, opportunity_id)
    learners = match.round_learners(db, rnd)
    mine = ranks.rank_lists(db, rnd, ranks.SITE).get(opp.id, [])
    result = rnd.result if rnd.status == "published" and rnd.result else None
    return render(
        request,
        "match_site.html",
        principal,
        {
            "rnd": rnd,
            "opp": opp,
            "learners": learners,
            "position": {lid: n for n, lid in enumerate(mine, start=1)},
            "evidence": match_evidence.for_site(
                db, rnd, opp, learners, request.app.state.scenarios
            ),
            "roster": [p for p in result["pairs"] if p["opportunity"] == opp.id]
            if result
            else None,
            "names": {u.id: u.display_name for u in learners},
        },
    )


@router.post("/match/{round_id}/sites/{opportunity_id}/ranks")
async def site_ranks(
    request: Request, db: DB, principal: Recruiter, round_id: str, opportunity_id: str
) -> Response:
    rnd = _site_round(db, round_id, opportunity_id)
    ranks.site_for_recruiter(db, rnd, principal.user, opportunity_id)  # 404 before anything else
    ranked = parse_rank_form(await _form_fields(request), "rank-")
    ranks.submit_site_ranks(db, principal.actor, rnd, principal.user, opportunity_id, ranked)
    db.commit()
    flash(request, f"Your list of {len(ranked)} learners is saved.")
    return RedirectResponse(f"/match/{rnd.id}/sites/{opportunity_id}", status_code=303)
