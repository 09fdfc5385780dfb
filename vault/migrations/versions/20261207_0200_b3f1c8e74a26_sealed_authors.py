"""sealed authors: who wrote each version, file and link, sealed (decision 0013)

Revision ID: b3f1c8e74a26
Revises: a7d3e9b25c14
Create Date: 2026-12-07 02:00:00

As for sections (0012): only columns change, and each record is sealed at its subject's next
sign-in, because the operator never holds a record's key.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'b3f1c8e74a26'
down_revision = 'a7d3e9b25c14'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('entry_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('author_sealed', sa.LargeBinary(), nullable=True))
        batch_op.alter_column('author_role', existing_type=sa.String(length=20), nullable=True)
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('author_sealed', sa.LargeBinary(), nullable=True))
    with op.batch_alter_table('share_links', schema=None) as batch_op:
        batch_op.add_column(sa.Column('created_by_sealed', sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    # Rows written since name their author only sealed: a downgrade would lose who wrote them.
    raise NotImplementedError("Sealed authors cannot be unsealed without each record's key.")
