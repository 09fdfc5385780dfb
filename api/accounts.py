"""The account under /api/v1: sign up, the passphrase, the recovery code, one-time codes,
and the account's own history."""

from __future__ import annotations

from typing import Any

from flask import Response, make_response
from flask.views import MethodView

from api import schemas
from api.blueprint import blp, documents
from api.context import client_address, current_actor, db_session, runtime
from consent import accounts, history


@blp.route("/accounts")
class Accounts(MethodView):
    @blp.arguments(schemas.AccountIn)
    @blp.response(201, schemas.AccountOut)
    @documents(409)
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Create an account and its own record; the recovery code is shown only here."""
        rt = runtime()
        made = accounts.sign_up(db_session(), rt.config, now=rt.now(), **data)
        return {"account_id": made.account_id, "person_id": made.person_id,
                "recovery_code": made.recovery_code}


@blp.route("/passphrase-suggestion")
class PassphraseSuggestion(MethodView):
    @blp.response(200, schemas.SuggestionOut)
    @documents()
    def get(self) -> dict[str, str]:
        """Four random words from the EFF long list, as a suggestion."""
        return {"passphrase": accounts.suggest_passphrase()}


@blp.route("/account/passphrase")
class AccountPassphrase(MethodView):
    @blp.arguments(schemas.PassphraseChangeIn)
    @blp.response(204)
    @documents(401, 423, 429)
    def put(self, data: dict[str, Any]) -> Response:
        """Change the passphrase; every other session is signed out."""
        rt = runtime()
        accounts.change_passphrase(db_session(), rt.config, current_actor(),
                                   passphrase=data["passphrase"],
                                   new_passphrase=data["new_passphrase"],
                                   stop_tokens=data["stop_tokens"],
                                   address=client_address(), now=rt.now())
        return make_response("", 204)


@blp.route("/account/recovery-code")
class AccountRecoveryCode(MethodView):
    @blp.arguments(schemas.ConfirmIn)
    @blp.response(201, schemas.RecoveryCodeOut)
    @documents(401, 423, 429)
    def post(self, data: dict[str, Any]) -> dict[str, str]:
        """Make a new recovery code; the old one stops working at once."""
        rt = runtime()
        code = accounts.replace_recovery_code(db_session(), rt.config, current_actor(),
                                              passphrase=data["passphrase"],
                                              address=client_address(), now=rt.now())
        return {"recovery_code": code}


@blp.route("/account/key")
class AccountKey(MethodView):
    @blp.arguments(schemas.ConfirmIn)
    @blp.response(201, schemas.RecoveryCodeOut)
    @documents(401, 403, 423, 429)
    def post(self, data: dict[str, Any]) -> dict[str, str]:
        """Give the account a new key pair. Every session (this one too) and API token ends,
        and a new recovery code is given, once; the old one stops working."""
        rt = runtime()
        code = accounts.rotate_account_key(db_session(), rt.config, current_actor(),
                                           passphrase=data["passphrase"],
                                           address=client_address(), now=rt.now())
        return {"recovery_code": code}


@blp.route("/account/totp")
class AccountTotp(MethodView):
    @blp.arguments(schemas.ConfirmIn)
    @blp.response(201, schemas.TotpOut)
    @documents(401, 423, 429)
    def post(self, data: dict[str, Any]) -> dict[str, str]:
        """Start one-time codes: a secret for an authenticator app, shown once."""
        rt = runtime()
        return accounts.start_totp(db_session(), rt.config, current_actor(),
                                   passphrase=data["passphrase"], address=client_address(),
                                   now=rt.now())


@blp.route("/account/totp/confirm")
class AccountTotpConfirm(MethodView):
    @blp.arguments(schemas.CodeIn)
    @blp.response(204)
    @documents(401, 404)
    def post(self, data: dict[str, Any]) -> Response:
        """Switch one-time codes on with the first code the app shows."""
        rt = runtime()
        accounts.confirm_totp(db_session(), rt.config, current_actor(), code=data["code"],
                              now=rt.now())
        return make_response("", 204)


@blp.route("/account/totp/remove")
class AccountTotpRemove(MethodView):
    @blp.arguments(schemas.ConfirmIn)
    @blp.response(204)
    @documents(401, 423, 429)
    def post(self, data: dict[str, Any]) -> Response:
        """Switch one-time codes off."""
        rt = runtime()
        accounts.remove_totp(db_session(), rt.config, current_actor(),
                             passphrase=data["passphrase"], address=client_address(),
                             now=rt.now())
        return make_response("", 204)


@blp.route("/audit-keys")
class AuditKeys(MethodView):
    @blp.response(200, schemas.SigningKeysOut)
    @documents()
    def get(self) -> dict[str, Any]:
        """The public keys that sign every history's head (a JWK Set): with them, anyone can
        check a signed head a person kept, in their export or from their history."""
        return history.signing_keys(runtime().config.keyring)


@blp.route("/account/history")
class AccountHistory(MethodView):
    @blp.response(200, schemas.HistoryOut)
    @documents(401)
    def get(self) -> dict[str, Any]:
        """Sign-ins (and failed ones), tokens and passphrase changes, newest first."""
        return history.read_account_history(db_session(), runtime().config, current_actor())
