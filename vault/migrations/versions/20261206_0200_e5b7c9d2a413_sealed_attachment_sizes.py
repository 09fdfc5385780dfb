"""sealed attachment sizes: type and size kept only in the sealed header (decision 0009)

Revision ID: e5b7c9d2a413
Revises: d81f5a3c6e27
Create Date: 2026-12-06 02:00:00

Rows written before keep their type and size; new rows leave both NULL.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'e5b7c9d2a413'
down_revision = 'd81f5a3c6e27'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.alter_column('media_type', existing_type=sa.String(length=40), nullable=True)
        batch_op.alter_column('size', existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    raise RuntimeError("Attachments written since cannot get a plain size back: restore a backup.")
