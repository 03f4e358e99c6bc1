"""workspace lab inbox

The sandbox's interface inbox: HL7 v2 result messages the practice's reference lab sent,
waiting to be filed (learner-visible, unlike the answer key). NULL for workspaces without one,
which is every workspace created before this revision.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-25 20:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "inbox",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.drop_column("inbox")
