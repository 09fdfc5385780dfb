"""Personal API tokens under /api/v1: list, make, revoke."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from flask import Response, make_response
from flask.views import MethodView

from api import schemas
from api.blueprint import blp, documents
from api.context import client_address, current_actor, db_session, runtime
from consent import tokens


@blp.route("/tokens")
class Tokens(MethodView):
    @blp.response(200, schemas.TokenOut(many=True))
    @documents(401)
    def get(self) -> list[dict[str, Any]]:
        """The account's personal API tokens (never their secret)."""
        return tokens.list_tokens(db_session(), current_actor())

    @blp.arguments(schemas.TokenIn)
    @blp.response(201, schemas.TokenOut)
    @documents(401, 403, 404, 423, 429)
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Create a token for named people and scopes; its secret is shown only here."""
        rt = runtime()
        token, described = tokens.create_token(
            db_session(), rt.config, current_actor(), name=data["name"], scopes=data["scopes"],
            person_ids=[str(p) for p in data["person_ids"]],
            expires_at=data["expires_at"].astimezone(UTC), now=rt.now(),
            passphrase=data["passphrase"], address=client_address())
        return {**described, "token": token}


@blp.route("/tokens/<uuid:token_id>")
class TokenItem(MethodView):
    @blp.response(204)
    @documents(401, 404)
    def delete(self, token_id: Any) -> Response:
        """Revoke a token: it stops working on the very next request."""
        rt = runtime()
        tokens.revoke_token(db_session(), rt.config, current_actor(), token_id=str(token_id),
                            now=rt.now())
        return make_response("", 204)
