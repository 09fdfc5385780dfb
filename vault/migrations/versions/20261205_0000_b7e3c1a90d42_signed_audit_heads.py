"""signed audit heads: every event MACed under the keyring, every head signed (decision 0004)

Revision ID: b7e3c1a90d42
Revises: 897d924ef6b1
Create Date: 2026-12-05 00:00:00

Existing events stay v1 (``key_id`` NULL, SHA-256 links). Each existing head is signed here,
once, in the migration's own transaction: from then on only an append signs a head, so a
copy of the database cannot strip a signature and wait for something to sign it again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from vault.audit import head_message
from vault.migrate import keyring_for

revision = 'b7e3c1a90d42'
down_revision = '897d924ef6b1'
branch_labels = None
depends_on = None

_heads = sa.table("audit_heads", sa.column("chain", sa.String), sa.column("seq", sa.Integer),
                  sa.column("hash", sa.LargeBinary), sa.column("key_id", sa.String),
                  sa.column("signature", sa.LargeBinary))


def upgrade() -> None:
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key_id', sa.String(length=60), nullable=True))
    with op.batch_alter_table('audit_heads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key_id', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('signature', sa.LargeBinary(length=64), nullable=True))
    _sign_existing_heads()


def _sign_existing_heads() -> None:
    conn = op.get_bind()
    heads = conn.execute(sa.select(_heads.c.chain, _heads.c.seq, _heads.c.hash)).all()
    if not heads:
        return
    keyring = keyring_for("signs the audit history")
    for chain, seq, event_hash in heads:
        key_id, signature = keyring.sign(head_message(chain, seq, bytes(event_hash)))
        conn.execute(sa.update(_heads).where(_heads.c.chain == chain)
                     .values(key_id=key_id, signature=signature))


def downgrade() -> None:
    with op.batch_alter_table('audit_heads', schema=None) as batch_op:
        batch_op.drop_column('signature')
        batch_op.drop_column('key_id')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_column('key_id')
