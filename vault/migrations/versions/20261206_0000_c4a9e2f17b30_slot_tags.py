"""slot tags: every self-sealed slot authenticated to its account (decision 0005)

Revision ID: c4a9e2f17b30
Revises: b7e3c1a90d42
Create Date: 2026-12-06 00:00:00

Existing slots cannot be tagged here: that needs each account's private key. Instead every
account that exists now gets a marker signed by the keyring, which lets its untagged slots
open until its next sign-in checks and tags them. Nothing else ever writes a marker, so a
copy of the database cannot strip a tag later and have the slot taken as an old one.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from keys.slots import untagged_marker_message
from vault.migrate import keyring_for

revision = 'c4a9e2f17b30'
down_revision = 'b7e3c1a90d42'
branch_labels = None
depends_on = None

TAGGED = (("record_key_slots", "tag"), ("private_key_slots", "tag"),
          ("accounts", "audit_private_tag"), ("second_factors", "secret_tag"),
          ("passkeys", "name_tag"), ("api_tokens", "name_tag"))

_accounts = sa.table("accounts", sa.column("id", sa.String),
                     sa.column("untagged_slots_key_id", sa.String),
                     sa.column("untagged_slots_signature", sa.LargeBinary))


def upgrade() -> None:
    for table, column in TAGGED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column(column, sa.LargeBinary(length=32), nullable=True))
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('untagged_slots_key_id', sa.String(length=80),
                                      nullable=True))
        batch_op.add_column(sa.Column('untagged_slots_signature', sa.LargeBinary(length=64),
                                      nullable=True))
    _mark_existing_accounts()


def _mark_existing_accounts() -> None:
    conn = op.get_bind()
    account_ids = conn.execute(sa.select(_accounts.c.id)).scalars().all()
    if not account_ids:
        return
    keyring = keyring_for("marks the accounts whose key slots predate slot tags")
    for account_id in account_ids:
        key_id, signature = keyring.sign(untagged_marker_message(account_id))
        conn.execute(sa.update(_accounts).where(_accounts.c.id == account_id)
                     .values(untagged_slots_key_id=key_id, untagged_slots_signature=signature))


def downgrade() -> None:
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_column('untagged_slots_signature')
        batch_op.drop_column('untagged_slots_key_id')
    for table, column in reversed(TAGGED):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column(column)
