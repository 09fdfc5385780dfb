"""sealed sections: a metadata key per record, sections sealed, scopes keyed (decision 0012)

Revision ID: a7d3e9b25c14
Revises: f2c8a4d61e59
Create Date: 2026-12-07 01:00:00

Only columns change here: sealing needs each record's key, which the operator never holds, so
each record is upgraded at its subject's next sign-in (``vault.metadata_upgrade``). Until then
its plain sections and scopes stay, and are read as before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'a7d3e9b25c14'
down_revision = 'f2c8a4d61e59'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.add_column(sa.Column('metadata_key_wrapped', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('metadata_key_epoch', sa.Integer(), nullable=True))
    for table in ('entries', 'attachments'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('section_sealed', sa.LargeBinary(), nullable=True))
            batch_op.alter_column('section', existing_type=sa.String(length=40), nullable=True)
    with op.batch_alter_table('entry_parts', schema=None) as batch_op:
        batch_op.alter_column('section', existing_type=sa.String(length=40), nullable=True)


def downgrade() -> None:
    # Rows written since hold no plain section: a downgrade would leave them unreadable.
    raise NotImplementedError("Sealed sections cannot be unsealed without each record's key.")
