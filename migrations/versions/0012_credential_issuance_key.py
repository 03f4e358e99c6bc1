"""credential issuance key

A unique key per issuance (holder, achievement, credential renewed or 'first'), so that two
requests that both find a learner due cannot both issue. Rows issued before this revision keep
a NULL key (NULLs never collide); issuance checks for an existing credential first anyway.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-25 17:54:26.622120
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.add_column(sa.Column("issuance_key", sa.String(length=160), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_credentials_issuance_key"), ["issuance_key"]
        )


def downgrade() -> None:
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_credentials_issuance_key"), type_="unique")
        batch_op.drop_column("issuance_key")
