"""Runs Alembic migrations from code, so `extender db upgrade` and the tests share one path."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from extender.config import PROJECT_ROOT

MIGRATIONS_DIR = PROJECT_ROOT / "migrations"


def alembic_config(database_url: str) -> Config:
    if not (MIGRATIONS_DIR / "env.py").exists():
        raise FileNotFoundError(
            f"migrations not found at {MIGRATIONS_DIR}; run Extender from a source checkout"
        )
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "heads") -> None:
    command.upgrade(alembic_config(database_url), revision)


def current_heads(database_url: str) -> set[str]:
    """The revisions the database is at (one per branch of the migration history)."""
    from alembic.runtime.migration import MigrationContext

    from extender.db import get_engine

    with get_engine(database_url).connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())


def script_heads(database_url: str) -> set[str]:
    """The latest revisions of the migration scripts."""
    from alembic.script import ScriptDirectory

    return set(ScriptDirectory.from_config(alembic_config(database_url)).get_heads())
