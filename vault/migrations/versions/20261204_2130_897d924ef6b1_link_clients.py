"""link clients: the polling window per client, and repeats as one entry of the history

Revision ID: 897d924ef6b1
Revises: 4d32fd538966
Create Date: 2026-12-04 21:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '897d924ef6b1'
down_revision = '4d32fd538966'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('link_clients',
    sa.Column('link_id', sa.String(length=36), nullable=False),
    sa.Column('client', sa.LargeBinary(length=32), nullable=False),
    sa.Column('window_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('requests', sa.Integer(), nullable=False),
    sa.Column('opening_seq', sa.Integer(), nullable=True),
    sa.Column('repeats', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['link_id'], ['share_links.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('link_id', 'client')
    )
    with op.batch_alter_table('link_clients', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_link_clients_window_start'), ['window_start'],
                              unique=False)
    # The window was the link's own, so one client could stop it for everyone.
    with op.batch_alter_table('share_links', schema=None) as batch_op:
        batch_op.drop_column('window_requests')
        batch_op.drop_column('window_start')


def downgrade() -> None:
    with op.batch_alter_table('share_links', schema=None) as batch_op:
        batch_op.add_column(sa.Column('window_start', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('window_requests', sa.Integer(), server_default='0',
                                      nullable=False))
    with op.batch_alter_table('link_clients', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_link_clients_window_start'))
    op.drop_table('link_clients')
