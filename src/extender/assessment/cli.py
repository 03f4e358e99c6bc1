"""``extender exams ...``: the item bank from the command line."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from extender.assessment import bank, irt_cli
from extender.config import get_settings
from extender.db import get_engine, session_factory

app = typer.Typer(help="Item bank, forms and exams.", no_args_is_help=True)
irt_cli.register(app)
out = Console(soft_wrap=True)


@app.command("bank-report")
def bank_report() -> None:
    """Item counts per track, domain and status."""
    url = get_settings().resolved_database_url()
    with session_factory(get_engine(url))() as session:
        rows = bank.bank_report(session)
    if not rows:
        out.print("the item bank is empty; run `extender content load`")
        return
    grid: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    for track, domain, status, count in rows:
        grid[(track, domain)][status] = count
    table = Table(title="Item bank")
    for column in ("track", "domain", *bank.STATUSES, "total"):
        table.add_column(column, justify="right" if column not in ("track", "domain") else "left")
    for (track, domain), counts in sorted(grid.items()):
        table.add_row(
            track,
            domain,
            *(str(counts.get(s, 0)) for s in bank.STATUSES),
            str(sum(counts.values())),
        )
    out.print(table)
    totals: dict[str, int] = defaultdict(int)
    for track, _, _, count in rows:
        totals[track] += count
    out.print(", ".join(f"{t}: {n} items" for t, n in sorted(totals.items())))


def _fail(message: str) -> typer.Exit:
    Console(stderr=True, soft_wrap=True).print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code=2)


@app.command("export-qti")
def export_qti(
    track: str = typer.Option(..., "--track", help="track code, e.g. CPEHR"),
    out_file: Path = typer.Option(..., "--out", help="where to write the .zip package"),
) -> None:
    """Write a track's bank (current versions) as a QTI 3.0 content package."""
    from extender.assessment.qti import export_package
    from extender.curriculum import service as curriculum
    from extender.errors import DomainError

    url = get_settings().resolved_database_url()
    with session_factory(get_engine(url))() as session:
        try:
            t = curriculum.get_track(session, track)
        except DomainError as exc:
            raise _fail(exc.message) from None
        items = bank.items_as_dicts(session, t)
    if not items:
        raise _fail(f"the {track.upper()} bank is empty; run `extender content load`")
    out_file.write_bytes(export_package(items, track=t.code, title=f"{t.code} item bank"))
    out.print(f"wrote {len(items)} items to {out_file}")


@app.command("import-qti")
def import_qti(file: Path = typer.Argument(..., help="a QTI 3.0 content package (.zip)")) -> None:
    """Import items from a QTI 3.0 package as drafts; nothing is imported if any item is bad."""
    from extender.accounts.audit import Actor
    from extender.assessment.qti import QtiImportError, read_package
    from extender.db import unit_of_work
    from extender.errors import DomainError

    if not file.is_file():
        raise _fail(f"{file} does not exist")
    try:
        package = read_package(file.read_bytes(), require_objective=True)
    except QtiImportError as exc:
        for p in exc.problems:
            Console(stderr=True, soft_wrap=True).print(
                f"{p.file}: {p.element}{f' (line {p.line})' if p.line else ''}: {p.message}",
                highlight=False,
            )
        raise _fail(f"{len(exc.problems)} problem(s) in {file}; nothing imported") from None
    url = get_settings().resolved_database_url()
    try:
        with unit_of_work(session_factory(get_engine(url))) as session:
            counts = bank.import_items(session, Actor.system("cli"), package.track, package.items)
    except DomainError as exc:
        raise _fail(exc.message) from None
    out.print(
        f"imported {counts['created']} new items and {counts['new_version']} new "
        f"versions as drafts ({counts['unchanged']} unchanged)"
    )


@app.command("calibrate")
def calibrate(
    track: str = typer.Option(..., "--track", help="track code, e.g. CPEHR"),
    model: str = typer.Option("2pl", "--model", help="rasch, 2pl or 3pl"),
    anchor: bool = typer.Option(
        False, "--anchor", help="keep approved parameters fixed; estimate only new items"
    ),
) -> None:
    """Fit IRT parameters from stored responses; a psychometrician approves the run before
    live scoring uses it."""
    from extender.accounts.audit import Actor
    from extender.assessment.calibration import run_calibration
    from extender.curriculum import service as curriculum
    from extender.db import unit_of_work
    from extender.errors import DomainError

    url = get_settings().resolved_database_url()
    try:
        with unit_of_work(session_factory(get_engine(url))) as session:
            run = run_calibration(
                session,
                Actor.system("cli"),
                curriculum.get_track(session, track),
                model.lower(),
                anchor=anchor,
            )
            excluded = dict(run.parameters["excluded"])
            warnings = list(run.parameters["warnings"])
            anchored = len(run.parameters.get("anchored", []))
            summary = (
                run.id,
                run.converged,
                run.iterations,
                run.n_items,
                run.n_examinees,
                run.log_likelihood,
            )
    except DomainError as exc:
        raise _fail(exc.message) from None
    run_id, converged, iterations, n_items, n_examinees, loglik = summary
    out.print(
        f"calibration {run_id}: {model} on {n_examinees} sittings, {n_items} items, "
        f"{'converged' if converged else 'DID NOT CONVERGE'} after {iterations} "
        f"iterations (log-likelihood {loglik:.1f})"
    )
    if anchored:
        out.print(f"  {anchored} items held at their approved parameters (anchors)")
    for item_id, reason in sorted(excluded.items()):
        out.print(f"  left out {item_id}: {reason}")
    for warning in warnings:
        out.print(f"  warning: {warning}")
    out.print(
        "approve it on the exam committee's calibration page before live scoring uses it"
        if converged
        else "a run that did not converge cannot be approved"
    )
