"""Signing in and out under /api/v1: sessions, the second step, and the recovery code."""

from __future__ import annotations

from typing import Any

from flask import Response, make_response, request
from flask.views import MethodView

from api import schemas
from api.blueprint import blp, documents
from api.context import (
    client_address,
    cookie_name,
    current_actor,
    db_session,
    delete_cookie,
    runtime,
    set_cookie,
)
from consent import sessions, sign_in

# The pending sign-in waits five minutes for its one-time code.
PENDING_MAX_AGE = 300
DEVICE_MAX_AGE = 400 * 24 * 3600  # The longest lifetime browsers allow a cookie.


@blp.route("/sessions")
class Sessions(MethodView):
    @blp.arguments(schemas.SessionIn)
    @blp.response(201, schemas.SessionOut)
    @blp.alt_response(202, schema=schemas.PendingOut, description="The passphrase was right; send "
                      "the one-time code to /sessions/second-factor within five minutes. An "
                      "account with passkeys only finishes signing in in the pages.")
    @documents(401, 423, 429)
    def post(self, data: dict[str, Any]) -> Response:
        """Sign in: sets the session cookie, or asks for a one-time code first."""
        rt = runtime()
        signed = sign_in.sign_in(db_session(), rt.config, login=data["login"],
                                 passphrase=data["passphrase"], address=client_address(),
                                 now=rt.now(), device_token=request.cookies.get(
                                     cookie_name("device")), mailer=rt.mailer)
        if isinstance(signed, sign_in.SecondFactorNeeded):
            pending = make_response(schemas.PendingOut().dump(
                {"second_factor": signed.kinds[0], "second_factors": list(signed.kinds)}), 202)
            set_cookie(pending, "pending", signed.pending_token, max_age=PENDING_MAX_AGE)
            return pending
        return _signed_in(signed, 201)

    @blp.response(200, schemas.SessionListItem(many=True))
    @documents(401)
    def get(self) -> list[dict[str, Any]]:
        """The account's signed-in sessions."""
        return sessions.list_sessions(db_session(), current_actor())

    @blp.arguments(schemas.SignOutIn, required=False)
    @blp.response(204)
    @documents(401, 403, 423, 429)
    def delete(self, data: dict[str, Any]) -> Response:
        """Sign out here; with ?everywhere=true, sign out every session of the account, which
        takes the passphrase again (or a token with the manage permission)."""
        actor = current_actor()
        if request.args.get("everywhere") == "true":
            rt = runtime()
            sessions.end_all_sessions(db_session(), rt.config, actor,
                                      passphrase=data.get("passphrase"),
                                      address=client_address(), now=rt.now())
        else:
            sessions.end_session(db_session(),
                                 token=request.cookies.get(cookie_name("session"), ""))
        response = make_response("", 204)
        delete_cookie(response, "session")
        return response


@blp.route("/sessions/second-factor")
class SecondFactorStep(MethodView):
    @blp.arguments(schemas.CodeIn)
    @blp.response(201, schemas.SessionOut)
    @documents(401)
    def post(self, data: dict[str, Any]) -> Response:
        """The one-time code of a sign-in that asked for it; five tries at most."""
        rt = runtime()
        signed = sign_in.finish_second_factor(
            db_session(), rt.config, pending_token=request.cookies.get(cookie_name("pending"), ""),
            code=data["code"], now=rt.now(),
            device_token=request.cookies.get(cookie_name("device")), mailer=rt.mailer)
        response = _signed_in(signed, 201)
        delete_cookie(response, "pending")
        return response


def _signed_in(signed: sign_in.SignedIn, status: int) -> Response:
    response = make_response(schemas.SessionOut().dump({
            "account_id": signed.unlocked.account_id,
            "expires_at": signed.session_row.expires_at}), status)
    _set_session_cookie(response, signed.session_token)
    if signed.device_token:
        set_cookie(response, "device", signed.device_token, max_age=DEVICE_MAX_AGE)
    return response


def _set_session_cookie(response: Response, token: str) -> None:
    set_cookie(response, "session", token,
               max_age=int(runtime().config.session_absolute.total_seconds()))


@blp.route("/recovery")
class Recovery(MethodView):
    @blp.arguments(schemas.RecoveryIn)
    @blp.response(201, schemas.RecoveryOut)
    @documents(401, 429)
    def post(self, data: dict[str, Any]) -> Response:
        """Use the recovery code: set a new passphrase, get a new code and a session."""
        rt = runtime()
        signed, code = sign_in.recover_account(db_session(), rt.config, login=data["login"],
                                       code=data["recovery_code"],
                                       new_passphrase=data["new_passphrase"],
                                       address=client_address(), now=rt.now())
        response = make_response(schemas.RecoveryOut().dump(
            {"account_id": signed.unlocked.account_id, "recovery_code": code}), 201)
        _set_session_cookie(response, signed.session_token)
        return response
