"""The JSON API under /api/v1. Views load input, call consent, commit, and dump output."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from flask import Response, jsonify, make_response, request
from flask.views import MethodView
from flask_smorest import Blueprint

from api import schemas
from api.context import SESSION_COOKIE, current_actor, db_session, runtime
from consent import auth, policy, records
from consent import people as consent_people
from consent.records import EntryView
from consent.runtime import DEVICE_COOKIE, DEVICE_COOKIE_MAX_AGE
from vault import credentials
from vault.passphrases import suggest_passphrase

# Holds a sign-in between a right passphrase and its one-time code, for five minutes.
PENDING_COOKIE = "__Host-tellonce-pending"

blp = Blueprint("api", __name__, url_prefix="/api/v1",
                description="Tell Once: a person's record, encrypted, shared by them.")

COMMON_ERRORS = (400, 422)


def documents(*statuses: int) -> Any:
    """Document each 4xx answer of an operation with the shared error body."""
    def decorate(func: Any) -> Any:
        for status in sorted(set(statuses) | set(COMMON_ERRORS)):
            func = blp.alt_response(status, schema=schemas.ErrorOut,
                                    description=_DESCRIPTIONS.get(status, "Error"))(func)
        return func
    return decorate


_DESCRIPTIONS = {
    400: "The request could not be read.",
    401: "Not signed in, or the credential has ended.",
    403: "Signed in, but this credential may not do that.",
    404: "No such thing, or it belongs to someone else.",
    409: "That conflicts with what is stored.",
    422: "The input is not valid; the message says what to fix.",
    423: "The account is locked.",
    429: "Too many tries; see Retry-After.",
}


def _entry_out(view: EntryView) -> dict[str, Any]:
    return {
        "id": view.id, "person_id": view.person_id, "section": view.section,
        "version": view.version, "data": view.data, "tiers": view.tiers,
        "provenance": view.provenance, "author_account_id": view.author_account_id,
        "author_role": view.author_role, "created_at": view.created_at,
        "updated_at": view.updated_at, "deleted": view.deleted,
    }


def _client_address() -> str:
    return request.remote_addr or "unknown"


def _set_session_cookie(response: Response, token: str) -> None:
    # __Host-: Secure, Path=/ and no Domain, so no other host or path can set or read it.
    response.set_cookie(SESSION_COOKIE, token, secure=True, httponly=True, samesite="Strict",
                        path="/", max_age=int(runtime().config.session_absolute.total_seconds()))


# -- accounts and sessions --------------------------------------------------------------


@blp.route("/accounts")
class Accounts(MethodView):
    @blp.arguments(schemas.AccountIn)
    @blp.response(201, schemas.AccountOut)
    @documents(409)
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Create an account and its own record; the recovery code is shown only here."""
        rt = runtime()
        session = db_session()
        result = consent_people.sign_up(session, rt.config, now=rt.now(), **data)
        session.commit()
        return result


@blp.route("/passphrase-suggestion")
class PassphraseSuggestion(MethodView):
    @blp.response(200, schemas.SuggestionOut)
    @documents()
    def get(self) -> dict[str, str]:
        """Four random words from the EFF long list, as a suggestion."""
        return {"passphrase": suggest_passphrase()}


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
        signed = auth.sign_in(rt.db, rt.config, login=data["login"],
                              passphrase=data["passphrase"], address=_client_address(),
                              now=rt.now(), device_token=request.cookies.get(DEVICE_COOKIE),
                              mailer=rt.mailer)
        if isinstance(signed, auth.SecondFactorNeeded):
            pending = make_response(schemas.PendingOut().dump(
                {"second_factor": signed.kinds[0], "second_factors": list(signed.kinds)}), 202)
            pending.set_cookie(PENDING_COOKIE, signed.pending_token, secure=True, httponly=True,
                               samesite="Strict", path="/", max_age=300)
            return pending
        return _signed_in(signed, 201)

    @blp.response(200, schemas.SessionListItem(many=True))
    @documents(401)
    def get(self) -> list[dict[str, Any]]:
        """The account's signed-in sessions."""
        actor = current_actor()
        rows = credentials.list_sessions(db_session(), account_id=actor.account_id)
        db_session().commit()
        return [{"id": r.id, "created_at": r.created_at, "last_seen_at": r.last_seen_at,
                 "current": r.id_digest == actor.session_digest} for r in rows]

    @blp.response(204)
    @documents(401)
    def delete(self) -> Response:
        """Sign out here; with ?everywhere=true, sign out every session of the account."""
        actor = current_actor()
        session = db_session()
        if request.args.get("everywhere") == "true":
            credentials.end_all_sessions(session, account_id=actor.account_id)
        else:
            credentials.end_session(session, token=request.cookies.get(SESSION_COOKIE, ""))
        session.commit()
        response = make_response("", 204)
        response.delete_cookie(SESSION_COOKIE, path="/", secure=True, samesite="Strict")
        return response


@blp.route("/sessions/second-factor")
class SecondFactorStep(MethodView):
    @blp.arguments(schemas.CodeIn)
    @blp.response(201, schemas.SessionOut)
    @documents(401)
    def post(self, data: dict[str, Any]) -> Response:
        """The one-time code of a sign-in that asked for it; five tries at most."""
        rt = runtime()
        signed = auth.finish_second_factor(rt.db, rt.config,
                                           pending_token=request.cookies.get(PENDING_COOKIE, ""),
                                           code=data["code"], now=rt.now(),
                                           device_token=request.cookies.get(DEVICE_COOKIE),
                                           mailer=rt.mailer)
        response = _signed_in(signed, 201)
        response.delete_cookie(PENDING_COOKIE, path="/", secure=True, samesite="Strict")
        return response


def _signed_in(signed: auth.SignedIn, status: int) -> Response:
    response = make_response(schemas.SessionOut().dump({
            "account_id": signed.unlocked.account_id,
            "expires_at": signed.session_row.expires_at}), status)
    _set_session_cookie(response, signed.session_token)
    if signed.device_token:
        response.set_cookie(DEVICE_COOKIE, signed.device_token, secure=True, httponly=True,
                            samesite="Strict", path="/", max_age=DEVICE_COOKIE_MAX_AGE)
    return response


@blp.route("/recovery")
class Recovery(MethodView):
    @blp.arguments(schemas.RecoveryIn)
    @blp.response(201, schemas.RecoveryOut)
    @documents(401, 429)
    def post(self, data: dict[str, Any]) -> Response:
        """Use the recovery code: set a new passphrase, get a new code and a session."""
        rt = runtime()
        signed, code = auth.recover(rt.db, rt.config, login=data["login"],
                                    code=data["recovery_code"],
                                    new_passphrase=data["new_passphrase"],
                                    address=_client_address(), now=rt.now())
        response = make_response(schemas.RecoveryOut().dump(
            {"account_id": signed.unlocked.account_id, "recovery_code": code}), 201)
        _set_session_cookie(response, signed.session_token)
        return response


@blp.route("/account/passphrase")
class AccountPassphrase(MethodView):
    @blp.arguments(schemas.PassphraseChangeIn)
    @blp.response(204)
    @documents(401, 423, 429)
    def put(self, data: dict[str, Any]) -> Response:
        """Change the passphrase; every other session is signed out."""
        rt = runtime()
        actor = current_actor()
        db_session().commit()  # End this request's transaction before the slow key work.
        auth.change_passphrase(rt.db, rt.config, account_id=actor.account_id,
                               passphrase=data["passphrase"],
                               new_passphrase=data["new_passphrase"],
                               keep_session_digest=actor.session_digest,
                               address=_client_address(), now=rt.now())
        return make_response("", 204)


@blp.route("/account/recovery-code")
class AccountRecoveryCode(MethodView):
    @blp.arguments(schemas.ConfirmIn)
    @blp.response(201, schemas.RecoveryCodeOut)
    @documents(401, 423, 429)
    def post(self, data: dict[str, Any]) -> dict[str, str]:
        """Make a new recovery code; the old one stops working at once."""
        rt = runtime()
        actor = current_actor()
        db_session().commit()
        code = auth.replace_recovery_code(rt.db, rt.config, account_id=actor.account_id,
                                          passphrase=data["passphrase"],
                                          address=_client_address(), now=rt.now())
        return {"recovery_code": code}


@blp.route("/account/totp")
class AccountTotp(MethodView):
    @blp.arguments(schemas.ConfirmIn)
    @blp.response(201, schemas.TotpOut)
    @documents(401, 423, 429)
    def post(self, data: dict[str, Any]) -> dict[str, str]:
        """Start one-time codes: a secret for an authenticator app, shown once."""
        rt = runtime()
        actor = current_actor()
        db_session().commit()
        return auth.start_totp(rt.db, rt.config, account_id=actor.account_id,
                               passphrase=data["passphrase"], address=_client_address(),
                               now=rt.now())


@blp.route("/account/totp/confirm")
class AccountTotpConfirm(MethodView):
    @blp.arguments(schemas.CodeIn)
    @blp.response(204)
    @documents(401, 404)
    def post(self, data: dict[str, Any]) -> Response:
        """Switch one-time codes on with the first code the app shows."""
        rt = runtime()
        actor = current_actor()
        auth.confirm_totp(db_session(), rt.config, unlocked=actor.unlocked, code=data["code"],
                          now=rt.now())
        db_session().commit()
        return make_response("", 204)


@blp.route("/account/totp/remove")
class AccountTotpRemove(MethodView):
    @blp.arguments(schemas.ConfirmIn)
    @blp.response(204)
    @documents(401, 423, 429)
    def post(self, data: dict[str, Any]) -> Response:
        """Switch one-time codes off."""
        rt = runtime()
        actor = current_actor()
        db_session().commit()
        auth.remove_totp(rt.db, rt.config, account_id=actor.account_id,
                         passphrase=data["passphrase"], address=_client_address(), now=rt.now())
        return make_response("", 204)


# -- personal API tokens ------------------------------------------------------------------


def _token_out(actor: policy.Actor, row: Any, token: str | None = None) -> dict[str, Any]:
    import json

    out = {"id": row.id, "name": credentials.token_name(actor.unlocked, row),
           "scopes": row.scopes.split(), "person_ids": json.loads(row.person_ids),
           "created_at": row.created_at, "expires_at": row.expires_at,
           "revoked_at": row.revoked_at, "last_used_at": row.last_used_at}
    if token is not None:
        out["token"] = token
    return out


@blp.route("/tokens")
class Tokens(MethodView):
    @blp.response(200, schemas.TokenOut(many=True))
    @documents(401)
    def get(self) -> list[dict[str, Any]]:
        """The account's personal API tokens (never their secret)."""
        actor = current_actor()
        rows = credentials.list_api_tokens(db_session(), account_id=actor.account_id)
        db_session().commit()
        return [_token_out(actor, r) for r in rows]

    @blp.arguments(schemas.TokenIn)
    @blp.response(201, schemas.TokenOut)
    @documents(401, 403, 404)
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Create a token for named people and scopes; its secret is shown only here."""
        rt = runtime()
        actor = current_actor()
        session = db_session()
        token, row = consent_people.create_token(
            session, rt.config, actor, name=data["name"], scopes=data["scopes"],
            person_ids=[str(p) for p in data["person_ids"]],
            expires_at=data["expires_at"].astimezone(UTC), now=rt.now())
        session.commit()
        return _token_out(actor, row, token)


@blp.route("/tokens/<uuid:token_id>")
class TokenItem(MethodView):
    @blp.response(204)
    @documents(401, 404)
    def delete(self, token_id: Any) -> Response:
        """Revoke a token: it stops working on the very next request."""
        rt = runtime()
        actor = current_actor()
        session = db_session()
        credentials.revoke_api_token(session, rt.config, account_id=actor.account_id,
                                  token_id=str(token_id), now=rt.now())
        session.commit()
        return make_response("", 204)


# -- people and entries ---------------------------------------------------------------------


@blp.route("/people")
class People(MethodView):
    @blp.response(200, schemas.PersonOut(many=True))
    @documents(401)
    def get(self) -> list[dict[str, str]]:
        """The people whose records this account can see."""
        actor = current_actor()
        out = records.list_people(db_session(), actor)
        db_session().commit()
        return out


@blp.route("/people/<uuid:person_id>/entries")
class Entries(MethodView):
    @blp.arguments(schemas.EntriesQuery, location="query")
    @blp.response(200, schemas.EntryOut(many=True))
    @documents(401, 403, 404)
    def get(self, query: dict[str, Any], person_id: Any) -> list[dict[str, Any]]:
        """Current versions of the person's entries, optionally of one section."""
        rt = runtime()
        views = records.list_entries(db_session(), rt.config, current_actor(),
                                     person_id=str(person_id), section=query.get("section"),
                                     now=rt.now())
        db_session().commit()
        return [_entry_out(v) for v in views]

    @blp.arguments(schemas.EntryIn)
    @blp.response(201, schemas.EntryOut)
    @documents(401, 403, 404)
    def post(self, data: dict[str, Any], person_id: Any) -> dict[str, Any]:
        """Add an entry; `text` alone is enough in every section."""
        rt = runtime()
        view = records.create_entry(db_session(), rt.config, current_actor(),
                                    person_id=str(person_id), now=rt.now(), **data)
        db_session().commit()
        return _entry_out(view)


@blp.route("/people/<uuid:person_id>/entries/<uuid:entry_id>")
class EntryItem(MethodView):
    @blp.response(200, schemas.EntryOut)
    @documents(401, 403, 404)
    def get(self, person_id: Any, entry_id: Any) -> dict[str, Any]:
        """The current version of one entry."""
        rt = runtime()
        view = records.read_entry(db_session(), rt.config, current_actor(),
                                  person_id=str(person_id), entry_id=str(entry_id), now=rt.now())
        db_session().commit()
        return _entry_out(view)

    @blp.arguments(schemas.EntryUpdateIn)
    @blp.response(200, schemas.EntryOut)
    @documents(401, 403, 404)
    def put(self, data: dict[str, Any], person_id: Any, entry_id: Any) -> dict[str, Any]:
        """Replace an entry's content: a new version; the old one stays readable."""
        rt = runtime()
        view = records.update_entry(db_session(), rt.config, current_actor(),
                                    person_id=str(person_id), entry_id=str(entry_id),
                                    now=rt.now(), **data)
        db_session().commit()
        return _entry_out(view)

    @blp.response(204)
    @documents(401, 403, 404)
    def delete(self, person_id: Any, entry_id: Any) -> Response:
        """Delete an entry; its earlier versions stay in its history."""
        rt = runtime()
        records.delete_entry(db_session(), rt.config, current_actor(), person_id=str(person_id),
                             entry_id=str(entry_id), now=rt.now())
        db_session().commit()
        return make_response("", 204)


@blp.route("/people/<uuid:person_id>/entries/<uuid:entry_id>/versions")
class EntryVersions(MethodView):
    @blp.response(200, schemas.EntryOut(many=True))
    @documents(401, 403, 404)
    def get(self, person_id: Any, entry_id: Any) -> list[dict[str, Any]]:
        """Every version of an entry, newest first, with who wrote it and when."""
        rt = runtime()
        views = records.list_versions(db_session(), rt.config, current_actor(),
                                      person_id=str(person_id), entry_id=str(entry_id),
                                      now=rt.now())
        db_session().commit()
        return [_entry_out(v) for v in views]


@blp.route("/people/<uuid:person_id>/medicines/indicators")
class MedicineIndicators(MethodView):
    @blp.response(200, schemas.IndicatorsOut)
    @documents(401, 403, 404)
    def get(self, person_id: Any) -> dict[str, Any]:
        """Reviews overdue, psychotropic medicines with no reason or plan, and the count."""
        rt = runtime()
        out = records.medicines_indicators(db_session(), rt.config, current_actor(),
                                           person_id=str(person_id), now=rt.now(),
                                           today=rt.now().date())
        db_session().commit()
        return out


@blp.route("/people/<uuid:person_id>/history")
class History(MethodView):
    @blp.response(200, schemas.HistoryOut)
    @documents(401, 403, 404)
    def get(self, person_id: Any) -> dict[str, Any]:
        """Who did what with the record, newest first, and the head of its hash chain."""
        rt = runtime()
        out = records.read_history(db_session(), rt.config, current_actor(),
                                   person_id=str(person_id))
        db_session().commit()
        return out


@blp.route("/account/history")
class AccountHistory(MethodView):
    @blp.response(200, schemas.HistoryOut)
    @documents(401)
    def get(self) -> dict[str, Any]:
        """Sign-ins (and failed ones), tokens and passphrase changes, newest first."""
        out = records.read_account_history(db_session(), current_actor())
        db_session().commit()
        return out


def health() -> Response:
    """Liveness: answers without touching anything."""
    return jsonify({"status": "ok"})
