"""`extender placement ...` commands.

``digest`` queues each learner's digest of new matching opportunities in the outbox. Usage
errors exit with code 2 and the message, like every other command. (The cohort match adds its
own ``match`` command to this ``app`` from the composition root.)
"""

from __future__ import annotations

import typer
from rich.console import Console

from extender.config import get_settings
from extender.db import get_engine, session_factory, unit_of_work
from extender.errors import DomainError

app = typer.Typer(help="Placement commands.", no_args_is_help=True)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


@app.command("digest")
def digest_command(
    base_url: str = typer.Option(
        "http://localhost:8000", "--base-url", help="address used in the mailed links"
    ),
) -> None:
    """Queue a digest of new matching opportunities for every learner with a profile."""
    from extender.placement import digest
    from extender.practicum.scenarios import load_scenarios

    settings = get_settings()
    scenarios = load_scenarios(settings.content_dir)
    factory = session_factory(get_engine(settings.resolved_database_url()))
    try:
        with unit_of_work(factory) as session:
            report = digest.run(session, scenarios, base_url=base_url.rstrip("/"))
    except DomainError as exc:
        err.print(f"[bold red]error:[/] {exc.message}", highlight=False)
        raise typer.Exit(code=2) from None
    out.print(
        f"{report.learners} learner(s) checked; {report.sent} digest(s) queued with "
        f"{report.opportunities} opportunity(ies)."
    )
