"""address day keys: addresses counted under a key of the day (decision 0011)

Revision ID: f2c8a4d61e59
Revises: e5b7c9d2a413
Create Date: 2026-12-07 00:00:00

The old counters were HMACs under the keyring's address key, which never changes: they are
not read again, and go with the sweeps that already delete them (a day without a try; a
window that has ended). An address's sign-in count therefore starts again once, here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'f2c8a4d61e59'
down_revision = 'e5b7c9d2a413'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('address_keys',
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('key_id', sa.String(length=64), nullable=False),
    sa.Column('wrapped', sa.LargeBinary(length=61), nullable=False),
    sa.PrimaryKeyConstraint('day', 'key_id')
    )


def downgrade() -> None:
    op.drop_table('address_keys')
