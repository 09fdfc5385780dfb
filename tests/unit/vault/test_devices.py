"""Known browsers (decision 0010): one browser's rows under two accounts do not match, and a
row kept under the digest from before is recognised and moved, never taken for a new browser.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from keys import tokens
from keys.keyring import Keyring
from tests.unit.vault.test_vault_attachments import make_owner
from vault import devices
from vault.models import KnownDevice


def _digests(session: Session) -> dict[str, set[bytes]]:
    found: dict[str, set[bytes]] = {}
    for row in session.scalars(select(KnownDevice)):
        found.setdefault(row.account_id, set()).add(row.digest)
    return found


def test_one_browser_under_two_accounts_leaves_nothing_to_link_them(
        session: Session, keyring: Keyring, now: datetime) -> None:
    amy = make_owner(session, keyring, now, "amy").keychain.account_id
    bob = make_owner(session, keyring, now, "bob").keychain.account_id
    first = devices.recognise_device(session, account_id=amy, device_token=None, now=now)
    assert first.set_cookie is not None
    for account in (amy, bob, amy, bob):
        devices.recognise_device(session, account_id=account, device_token=first.set_cookie,
                                 now=now)
    rows = _digests(session)
    assert len(rows[amy]) == len(rows[bob]) == 1
    assert not rows[amy] & rows[bob]


def test_a_browser_known_under_the_old_digest_is_no_new_device(
        session: Session, keyring: Keyring, now: datetime) -> None:
    amy = make_owner(session, keyring, now, "amy").keychain.account_id
    first = devices.recognise_device(session, account_id=amy, device_token=None, now=now)
    other = devices.recognise_device(session, account_id=amy, device_token=None, now=now)
    assert other.set_cookie is not None
    secret = tokens.parse_bearer(devices.DEVICE_PREFIX, other.set_cookie)
    # As the code before 0010 kept it: the digest that did not name the account.
    row = session.get(KnownDevice, (amy, tokens.account_lookup_digest("device", amy, secret)))
    assert row is not None
    session.delete(row)
    session.add(KnownDevice(account_id=amy, digest=tokens.lookup_digest("device", secret),
                            first_seen_at=now, last_seen_at=now))
    session.flush()
    again = devices.recognise_device(session, account_id=amy, device_token=other.set_cookie,
                                     now=now)
    assert again.new_device is False
    assert tokens.lookup_digest("device", secret) not in _digests(session)[amy]
    assert first.set_cookie is not None
