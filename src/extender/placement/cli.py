"""`extender placement ...` commands."""

from __future__ import annotations

import typer

app = typer.Typer(help="Placement commands.", no_args_is_help=True)
