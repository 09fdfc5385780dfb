"""audit v3: who acted, sealed with the details (decision 0015)

Revision ID: d5a7f3c92e68
Revises: c9e2a5f81d37
Create Date: 2026-12-07 04:00:00

Events already written are never rewritten: they stay v1 or v2, with their actor.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'd5a7f3c92e68'
down_revision = 'c9e2a5f81d37'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('format', sa.Integer(), nullable=True))


def downgrade() -> None:
    raise NotImplementedError("A v3 event's actor is sealed: older code cannot read it.")
