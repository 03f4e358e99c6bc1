"""``extender practicum generate``: write a synthetic practice bundle (and its answer key).

Mounted by the main CLI; also runnable alone with ``python -m extender.practicum.generator.cli``.
Bad arguments exit with code 2 and one line naming the problem, like every Extender command.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from extender.errors import InvalidInput
from extender.practicum.generator.generate import (
    generate_practice,
    write_answer_key,
    write_bundle,
    write_lab_inbox,
    write_staff_accounts,
)
from extender.practicum.generator.params import DEFAULT_AS_OF, PracticeParams, parse_defects

app = typer.Typer(no_args_is_help=True, add_completion=False)


@app.callback()
def practicum() -> None:
    """Practicum sandbox tools."""


def _fail(message: str) -> typer.Exit:
    typer.echo(f"Error: {message}", err=True)
    return typer.Exit(code=2)


@app.command()
def generate(
    out: Annotated[
        Path, typer.Option("--out", help="Where to write the FHIR transaction Bundle (JSON).")
    ],
    patients: Annotated[int, typer.Option("--patients", help="Number of distinct patients.")] = 200,
    seed: Annotated[
        int, typer.Option("--seed", help="Same seed and options give the same bytes.")
    ] = 0,
    key: Annotated[
        Path | None, typer.Option("--key", help="Also write the hidden answer key here.")
    ] = None,
    accounts: Annotated[
        Path | None,
        typer.Option("--accounts", help="Also write the staff user list and role policy here."),
    ] = None,
    defects: Annotated[
        str,
        typer.Option(
            "--defects",
            help="Planted defects: 'none', 'default' or NAME=COUNT pairs such as"
            " 'none,duplicates=4,results=2'. Names: duplicates, lookalikes, overprivileged,"
            " coworker, vip, after_hours, family, results, and for the lab inbox misidentified,"
            " resent, corrected.",
        ),
    ] = "default",
    as_of: Annotated[
        str, typer.Option("--as-of", help="The practice's 'today' (YYYY-MM-DD); history ends here.")
    ] = DEFAULT_AS_OF.isoformat(),
    years: Annotated[int, typer.Option("--years", help="Years of visit history.")] = 5,
    providers: Annotated[
        int | None, typer.Option("--providers", help="Clinicians, 2-8 (default: by size).")
    ] = None,
    audit_days: Annotated[
        int, typer.Option("--audit-days", help="Days of chart-access audit events.")
    ] = 14,
    method: Annotated[
        str, typer.Option("--method", help="Transaction entry method: POST or PUT.")
    ] = "POST",
    lab_messages: Annotated[
        int,
        typer.Option(
            "--lab-messages", help="Clean HL7 v2 result messages in the interface inbox (0-60)."
        ),
    ] = 0,
    inbox: Annotated[
        Path | None,
        typer.Option("--inbox", help="Also write the interface inbox here (HL7 v2, one batch)."),
    ] = None,
    indent: Annotated[int | None, typer.Option("--indent", help="Pretty-print the bundle.")] = None,
) -> None:
    """Generate a synthetic primary-care practice as a FHIR R4 transaction Bundle."""
    try:
        as_of_date = date.fromisoformat(as_of)
    except ValueError:
        raise _fail(f"--as-of must be a date like 2026-11-01, got {as_of!r}") from None
    if method.upper() not in ("POST", "PUT"):
        raise _fail(f"--method must be POST or PUT, got {method!r}")
    try:
        params = PracticeParams(
            patients=patients,
            seed=seed,
            as_of=as_of_date,
            years_of_history=years,
            providers=providers,
            audit_days=audit_days,
            method="PUT" if method.upper() == "PUT" else "POST",
            lab_messages=lab_messages,
            defects=parse_defects(defects),
        )
        practice = generate_practice(params)
    except InvalidInput as error:
        raise _fail(error.message) from None
    try:
        write_bundle(practice, out, indent=indent)
        if key is not None:
            write_answer_key(practice, key)
        if accounts is not None:
            write_staff_accounts(practice, accounts)
        if inbox is not None:
            write_lab_inbox(practice, inbox)
    except OSError as error:
        raise _fail(f"cannot write output: {error}") from None
    _print_summary(practice.summary, out, key, accounts, inbox)


def _print_summary(
    summary: dict[str, int],
    out: Path,
    key: Path | None,
    accounts: Path | None,
    inbox: Path | None = None,
) -> None:
    typer.echo(f"Wrote {summary['total_resources']} resources to {out}")
    for name, count in summary.items():
        typer.echo(f"  {name:<20} {count}")
    if key is not None:
        typer.echo(f"Answer key: {key} (keep it away from learners)")
    if accounts is not None:
        typer.echo(f"Staff accounts: {accounts}")
    if inbox is not None:
        typer.echo(f"Interface inbox: {inbox} ({summary['lab_messages']} HL7 v2 messages)")


if __name__ == "__main__":
    app()
