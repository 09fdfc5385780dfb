"""keyed tiers: the tier of each part and file, keyed per row (decision 0014)

Revision ID: c9e2a5f81d37
Revises: b3f1c8e74a26
Create Date: 2026-12-07 03:00:00

Only the columns widen; each record's tiers are keyed at its subject's next sign-in.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'c9e2a5f81d37'
down_revision = 'b3f1c8e74a26'
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ('entry_parts', 'attachments'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('tier', existing_type=sa.String(length=1),
                                  type_=sa.String(length=64), existing_nullable=False)


def downgrade() -> None:
    raise NotImplementedError("Keyed tiers cannot be read back without each record's key.")
