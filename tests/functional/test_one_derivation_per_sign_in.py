"""Every way a sign-in can fail costs the same one Argon2id derivation.

An unknown login that answered without deriving would answer faster than a wrong
passphrase, and so tell anyone which logins have accounts; a locked account likewise. The
derivations are counted at the outside library's boundary: cryptography's ``Argon2id``,
which ``keys.passphrase`` uses, is wrapped (it cannot be subclassed) and every ``derive``
counted. The rules guarded here, through both front doors (the API and the sign-in page):

- an unknown login costs one derivation, the dummy one;
- a wrong passphrase for a known login costs one;
- a locked account costs one, though it is refused whatever the passphrase;
- the right passphrase costs one, the same as all of these.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from flask.testing import FlaskClient
from sqlalchemy import update

from keys import passphrase
from tests.factories import PASSPHRASE, make_person
from tests.functional.web.test_pages import csrf
from vault.models import Account

WRONG = "not the passphrase, not at all"


def _by_api(client: FlaskClient, login: str, secret: str) -> int:
    return client.post("/api/v1/sessions", json={"login": login, "passphrase": secret}).status_code


def _by_page(client: FlaskClient, login: str, secret: str) -> int:
    token = csrf(client, "/sign-in")
    return client.post("/sign-in", data={"csrf_token": token, "login": login,
                                         "passphrase": secret}).status_code


@pytest.fixture(params=[_by_api, _by_page], ids=["api", "page"])
def sign_in(request: pytest.FixtureRequest) -> Callable[[FlaskClient, str, str], int]:
    return request.param  # type: ignore[no-any-return]


def _derivations(monkeypatch: pytest.MonkeyPatch, attempt: Callable[[], int]) -> tuple[int, int]:
    """The answer's status, and how many derivations the attempt cost."""
    derived: list[bytes] = []

    class Counted:
        """cryptography's Argon2id, doing its real work, with each derivation counted."""

        def __init__(self, **parameters: Any) -> None:
            self._real = Argon2id(**parameters)

        def derive(self, key_material: bytes) -> bytes:
            derived.append(key_material)
            return self._real.derive(key_material)

    monkeypatch.setattr(passphrase, "Argon2id", Counted)
    status = attempt()
    return status, len(derived)


def test_an_unknown_login_costs_one_derivation(client: FlaskClient, sign_in: Any,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Rule: the dummy derivation for a login that has no account."""
    assert _derivations(monkeypatch, lambda: sign_in(client, "nobody-here", WRONG)) == (401, 1)


def test_a_wrong_passphrase_costs_one_derivation(client: FlaskClient, sign_in: Any,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Rule: a wrong passphrase derives once, and only once."""
    amy = make_person(client)
    assert _derivations(monkeypatch, lambda: sign_in(client, amy.login, WRONG)) == (401, 1)


def test_a_locked_account_costs_one_derivation(client: FlaskClient, sign_in: Any, runtime: Any,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Rule: a locked account still derives, so it answers in the time any other does."""
    amy = make_person(client)
    with runtime.db.transaction() as session:
        session.execute(update(Account).where(Account.id == amy.account_id)
                        .values(locked_at=runtime.now()))
    assert _derivations(monkeypatch, lambda: sign_in(client, amy.login, PASSPHRASE)) == (423, 1)


def test_the_right_passphrase_costs_one_derivation(client: FlaskClient, sign_in: Any,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Rule: what every refusal above costs is what signing in costs."""
    amy = make_person(client)
    status, derivations = _derivations(monkeypatch,
                                       lambda: sign_in(client, amy.login, PASSPHRASE))
    assert status in (201, 303)  # Signed in: by the API, or redirected by the page.
    assert derivations == 1
