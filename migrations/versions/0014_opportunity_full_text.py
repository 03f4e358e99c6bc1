"""opportunity full-text search

Full-text search over opportunity titles and descriptions, native to each database:

- PostgreSQL: a GIN index on a weighted tsvector (title A, description B). Each text is indexed
  twice, through the ``english`` configuration (stemmed: "interfaces" finds "interface") and
  through ``simple`` (every word kept, so that an acronym such as HIM, an English stop word,
  is still found). Migration 0015 moves this expression into a stored generated column,
  ``opportunities.search_vector``, and the index onto that column.
- SQLite: an FTS5 table with the Porter stemmer, kept in step with ``opportunities`` by
  triggers. A later batch migration that rebuilds ``opportunities`` on SQLite drops these
  triggers and must create them again (``create_sqlite_triggers`` below shows how).

Neither object is a model: ``extender.schema.include_name`` keeps them out of the drift check.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-25 19:40:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PG_VECTOR = (
    "setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A')"
    " || setweight(to_tsvector('simple'::regconfig, coalesce(title, '')), 'A')"
    " || setweight(to_tsvector('english'::regconfig, coalesce(description, '')), 'B')"
    " || setweight(to_tsvector('simple'::regconfig, coalesce(description, '')), 'B')"
)

SQLITE_TRIGGERS = (
    """CREATE TRIGGER opportunities_fts_insert AFTER INSERT ON opportunities BEGIN
        INSERT INTO opportunities_fts (opportunity_id, title, description)
        VALUES (new.id, new.title, new.description);
    END""",
    """CREATE TRIGGER opportunities_fts_delete AFTER DELETE ON opportunities BEGIN
        DELETE FROM opportunities_fts WHERE opportunity_id = old.id;
    END""",
    """CREATE TRIGGER opportunities_fts_update AFTER UPDATE OF id, title, description
    ON opportunities BEGIN
        DELETE FROM opportunities_fts WHERE opportunity_id = old.id;
        INSERT INTO opportunities_fts (opportunity_id, title, description)
        VALUES (new.id, new.title, new.description);
    END""",
)


def create_sqlite_triggers() -> None:
    for statement in SQLITE_TRIGGERS:
        op.execute(statement)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE INDEX ix_opportunities_search ON opportunities USING gin (({PG_VECTOR}))"
        )
        return
    op.execute(
        "CREATE VIRTUAL TABLE opportunities_fts USING fts5("
        "opportunity_id UNINDEXED, title, description, tokenize = 'porter unicode61')"
    )
    op.execute(
        "INSERT INTO opportunities_fts (opportunity_id, title, description)"
        " SELECT id, title, description FROM opportunities"
    )
    create_sqlite_triggers()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_opportunities_search")
        return
    for name in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER opportunities_fts_{name}")
    op.execute("DROP TABLE opportunities_fts")
