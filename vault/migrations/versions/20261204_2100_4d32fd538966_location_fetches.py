"""location fetches: counted, and tied to the opening that gave them

Revision ID: 4d32fd538966
Revises: 447f4b5be7bf
Create Date: 2026-12-04 21:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '4d32fd538966'
down_revision = '447f4b5be7bf'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('share_link_files', schema=None) as batch_op:
        batch_op.add_column(sa.Column('opening_seq', sa.Integer(), server_default='0',
                                      nullable=False))
        batch_op.add_column(sa.Column('fetches', sa.Integer(), server_default='0',
                                      nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('share_link_files', schema=None) as batch_op:
        batch_op.drop_column('fetches')
        batch_op.drop_column('opening_seq')
