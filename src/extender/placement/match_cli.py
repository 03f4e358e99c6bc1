"""`extender placement match --program P`: run a program's open match round from the command
line, print the result and its stability check, and publish it with ``--publish``."""

from __future__ import annotations

from typing import NoReturn

import typer
from rich.console import Console
from sqlalchemy import select
from sqlalchemy.orm import Session

from extender.accounts.audit import Actor
from extender.accounts.models import Organization
from extender.config import get_settings
from extender.db import get_engine, session_factory, unit_of_work
from extender.errors import DomainError
from extender.placement import match_service
from extender.placement.match_models import MatchRound

out = Console(soft_wrap=True, highlight=False)
ACTOR = Actor.system("cli: extender placement match")


def _fail(message: str) -> NoReturn:
    Console(stderr=True, soft_wrap=True).print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code=2)


def match(
    program: str = typer.Option(..., "--program", help="the training program's slug"),
    round: str | None = typer.Option(
        None, "--round", help="a round id (default: the program's latest open round)"
    ),
    publish: bool = typer.Option(False, "--publish", help="publish the result after the run"),
) -> None:
    """Run a program's cohort match and print the result and its verification."""
    factory = session_factory(get_engine(get_settings().resolved_database_url()))
    try:
        with unit_of_work(factory) as session:
            rnd = _pick_round(session, program, round)
            match_service.run(session, ACTOR, rnd)
            _print_result(session, rnd)
            if publish:
                sent = match_service.publish(session, ACTOR, rnd)
                out.print(f"published; {sent} notifications queued")
    except DomainError as exc:
        _fail(exc.message)


def _pick_round(session: Session, slug: str, round_id: str | None) -> MatchRound:
    org = session.scalar(select(Organization).where(Organization.slug == slug))
    if org is None:
        _fail(f"no program with slug {slug!r}")
    if round_id is not None:
        return match_service.round_in_program(session, org, round_id)
    rnd = match_service.latest_open_round(session, org)
    if rnd is None:
        _fail(f"program {slug!r} has no open match round")
    return rnd


def _print_result(session: Session, rnd: MatchRound) -> None:
    result = rnd.result or {}
    summary = match_service.result_summary(rnd)
    titles = {opp.id: opp.title for _, opp in match_service.round_opportunities(session, rnd)}
    names = {u.id: u.display_name for u in match_service.round_learners(session, rnd)}
    out.print(f"{rnd.title} ({rnd.id})")
    out.print(
        f"matched {summary['matched']} of {result.get('learners', 0)} learners; "
        f"{summary['unmatched_learners']} unmatched; "
        f"{summary['unfilled_slots']} of {result.get('slots', 0)} slots unfilled"
    )
    for pair in result.get("pairs", []):
        out.print(
            f"  {names.get(pair['learner'], pair['learner'])} -> "
            f"{titles.get(pair['opportunity'], pair['opportunity'])} "
            f"(learner's choice {pair['learner_rank']}, site's choice {pair['site_rank']})"
        )
    for learner in result.get("unmatched_learners", []):
        out.print(f"  unmatched: {names.get(learner, learner)}")
    for opp, open_slots in result.get("unfilled", {}).items():
        out.print(f"  unfilled: {titles.get(opp, opp)} ({open_slots} open)")
    if summary["verified"]:
        out.print("verified: no blocking pair (checked pair by pair against the definition)")
    else:
        out.print(f"NOT STABLE: {summary['blocking_pairs']} blocking pairs; do not publish")
