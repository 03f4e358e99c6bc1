"""`extender credentials ...` commands."""

from __future__ import annotations

import typer

app = typer.Typer(help="Credentials commands.", no_args_is_help=True)
