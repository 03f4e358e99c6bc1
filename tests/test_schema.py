"""The migrations are the only way the schema changes: a migrated empty database must match
the models exactly, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Engine

from extender.schema import include_name, metadata


def test_it_migrates_to_a_schema_without_drift(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_name": include_name}
        )
        diff = compare_metadata(context, metadata)
    assert diff == [], f"models and migrations differ: {diff}"


def test_it_records_the_head_revision(engine: Engine, db_url: str) -> None:
    from extender import migrate

    heads = migrate.script_heads(db_url)
    assert len(heads) == 1, f"the migration history has branched: {sorted(heads)}"
    assert migrate.current_heads(db_url) == heads
