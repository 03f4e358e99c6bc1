"""opportunity search vector stored as a column (PostgreSQL)

Migration 0014 indexed the weighted tsvector as an expression. Matching used the index, but
ranking (``ts_rank``) recomputed the expression, four ``to_tsvector`` parses, for every
matching row: 1.2 s for a common word over 50,000 opportunities, slower than the LIKE scan
it replaced (docs/BENCHMARKS.md). Here the same vector becomes a stored generated column,
``opportunities.search_vector``, kept by PostgreSQL itself on every insert and update, and
the GIN index moves onto it; search matches and ranks from the column.

SQLite is unchanged: its FTS5 table already stores what it ranks.

The column is not a model attribute (SQLite has no tsvector): ``extender.schema.include_name``
keeps it out of the drift check, like the index and the FTS5 table.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-26 02:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The expression of 0014, unchanged: same configurations, same weights.
PG_VECTOR = (
    "setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A')"
    " || setweight(to_tsvector('simple'::regconfig, coalesce(title, '')), 'A')"
    " || setweight(to_tsvector('english'::regconfig, coalesce(description, '')), 'B')"
    " || setweight(to_tsvector('simple'::regconfig, coalesce(description, '')), 'B')"
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX ix_opportunities_search")
    op.execute(
        "ALTER TABLE opportunities ADD COLUMN search_vector tsvector"
        f" GENERATED ALWAYS AS ({PG_VECTOR}) STORED"
    )
    op.execute("CREATE INDEX ix_opportunities_search ON opportunities USING gin (search_vector)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX ix_opportunities_search")
    op.execute("ALTER TABLE opportunities DROP COLUMN search_vector")
    op.execute(f"CREATE INDEX ix_opportunities_search ON opportunities USING gin (({PG_VECTOR}))")
