"""``extender exams ...``: the item bank from the command line."""

from __future__ import annotations

from collections import defaultdict

import typer
from rich.console import Console
from rich.table import Table

from extender.assessment import bank
from extender.config import get_settings
from extender.db import get_engine, session_factory

app = typer.Typer(help="Item bank, forms and exams.", no_args_is_help=True)
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
