"""sealed logins: no login or notice address in the clear (decision 0006)

Revision ID: d81f5a3c6e27
Revises: c4a9e2f17b30
Create Date: 2026-12-06 01:00:00

Every account's plain login and address are keyed and sealed under the keyring's current
``contact`` key, and the plain columns dropped, in the migration's one transaction; without
the keyring it refuses when any account exists.
"""

from __future__ import annotations

import hashlib
import hmac

import sqlalchemy as sa
from alembic import op

from keys import envelope
from keys.binding import bind
from vault import payloads
from vault.migrate import keyring_for

revision = 'd81f5a3c6e27'
down_revision = 'c4a9e2f17b30'
branch_labels = None
depends_on = None

_accounts = sa.table("accounts", sa.column("id", sa.String), sa.column("login", sa.String),
                     sa.column("email", sa.String), sa.column("login_digest", sa.LargeBinary),
                     sa.column("login_sealed", sa.LargeBinary),
                     sa.column("email_digest", sa.LargeBinary),
                     sa.column("email_sealed", sa.LargeBinary),
                     sa.column("contact_key_id", sa.String))


def upgrade() -> None:
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('login_digest', sa.LargeBinary(length=32), nullable=True))
        batch_op.add_column(sa.Column('login_sealed', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('email_digest', sa.LargeBinary(length=32), nullable=True))
        batch_op.add_column(sa.Column('email_sealed', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('contact_key_id', sa.String(length=80), nullable=True))
    _seal_existing_contacts()
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.alter_column('login_digest', nullable=False)
        batch_op.alter_column('login_sealed', nullable=False)
        batch_op.alter_column('contact_key_id', nullable=False)
        batch_op.create_unique_constraint('uq_accounts_login_digest', ['login_digest'])
        batch_op.create_unique_constraint('uq_accounts_email_digest', ['email_digest'])
        batch_op.drop_column('login')
        batch_op.drop_column('email')


def _seal_existing_contacts() -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.select(_accounts.c.id, _accounts.c.login, _accounts.c.email)).all()
    if not rows:
        return
    keyring = keyring_for("seals every login and notice address")
    if "contact" not in keyring.current:
        raise RuntimeError("The keyring has no contact key yet: run `tellonce init`, which adds it.")
    key_id, digest_key, seal_key = keyring.contact_keys()

    # The formats of decision 0006, written out here so this migration never changes with the code.
    def digest(label: str, value: str) -> bytes:
        return hmac.new(digest_key, bind(label, value), hashlib.sha256).digest()

    def seal(label: str, account_id: str, value: str) -> bytes:
        return envelope.seal(seal_key, payloads.encode(value), aad=bind(label, account_id, key_id))

    for account_id, login, email in rows:
        conn.execute(sa.update(_accounts).where(_accounts.c.id == account_id).values(
            contact_key_id=key_id,
            login_digest=digest("account-login", login),
            login_sealed=seal("account-login", account_id, login),
            email_digest=None if email is None else digest("account-email", email),
            email_sealed=None if email is None else seal("account-email", account_id, email)))


def downgrade() -> None:
    raise RuntimeError("Sealed logins cannot be unsealed by a migration: restore a backup.")
