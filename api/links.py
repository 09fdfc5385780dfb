"""Share links through the JSON API, for the person they belong to: make, list, renew, stop.

These routes join the same blueprint as the rest of the API; web/app.py imports this module
so they are registered. The SMART Health Links protocol endpoints are in ``api.shl``.
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from api import schemas
from api.blueprint import blp, documents
from api.context import client_address, current_actor, db_session, runtime
from consent import sharing


def _choices(data: dict[str, Any]) -> sharing.LinkChoices:
    return sharing.LinkChoices(
        template=data["template"], label=data["label"], expires_at=data["expires_at"],
        passcode=data["passcode"], max_openings=data["max_openings"],
        sections=data["sections"], ceiling=data["ceiling"],
        s_items=[str(item) for item in data["s_items"]], notify_on_open=data["notify_on_open"])


@blp.route("/people/<uuid:person_id>/links")
class Links(MethodView):
    @blp.response(200, schemas.LinkOut(many=True))
    @documents(401, 403, 404)
    def get(self, person_id: Any) -> list[dict[str, Any]]:
        """Every link the person has made, live or not, newest first."""
        rt = runtime()
        out = sharing.list_links(db_session(), current_actor(), person_id=str(person_id),
                                 addresses=rt.addresses, now=rt.now())
        return out

    @blp.arguments(schemas.LinkIn)
    @blp.response(201, schemas.LinkOut)
    @documents(401, 403, 404, 423, 429)
    def post(self, data: dict[str, Any], person_id: Any) -> dict[str, Any]:
        """Make a link from a template; its copy holds exactly what the scope allows."""
        rt = runtime()
        session, actor, now = db_session(), current_actor(), rt.now()
        link = sharing.create_link(session, rt.config, actor, person_id=str(person_id),
                                   choices=_choices(data), now=now,
                                   passphrase=data["passphrase"], address=client_address())
        out = sharing.read_link(session, actor, person_id=str(person_id), link_id=link.id,
                                addresses=rt.addresses, now=now)
        return out


@blp.route("/people/<uuid:person_id>/links/stop-all")
class StopAll(MethodView):
    @blp.response(200, schemas.StoppedOut)
    @documents(401, 403, 404)
    def post(self, person_id: Any) -> dict[str, int]:
        """Stop all sharing now: every link ends at once."""
        rt = runtime()
        stopped = sharing.stop_all_sharing(db_session(), rt.config, current_actor(),
                                           person_id=str(person_id), now=rt.now())
        return {"stopped": stopped}


@blp.route("/people/<uuid:person_id>/links/<uuid:link_id>")
class LinkItem(MethodView):
    @blp.response(200, schemas.LinkOut)
    @documents(401, 403, 404)
    def get(self, person_id: Any, link_id: Any) -> dict[str, Any]:
        """One link, with its address while it is live."""
        rt = runtime()
        out = sharing.read_link(db_session(), current_actor(), person_id=str(person_id),
                                link_id=str(link_id), addresses=rt.addresses, now=rt.now())
        return out

    @blp.response(204)
    @documents(401, 403, 404)
    def delete(self, person_id: Any, link_id: Any) -> None:
        """Stop the link: the next request for it is a 404."""
        rt = runtime()
        sharing.revoke_link(db_session(), rt.config, current_actor(), person_id=str(person_id),
                            link_id=str(link_id), now=rt.now())


@blp.route("/people/<uuid:person_id>/links/<uuid:link_id>/renew")
class Renew(MethodView):
    @blp.arguments(schemas.LinkRenewIn)
    @blp.response(200, schemas.LinkOut)
    @documents(401, 403, 404)
    def post(self, data: dict[str, Any], person_id: Any, link_id: Any) -> dict[str, Any]:
        """A new end date; the address and its QR code stay the same."""
        rt = runtime()
        session, actor, now = db_session(), current_actor(), rt.now()
        sharing.renew_link(session, rt.config, actor, person_id=str(person_id),
                           link_id=str(link_id), expires_at=data["expires_at"], now=now)
        out = sharing.read_link(session, actor, person_id=str(person_id), link_id=str(link_id),
                                addresses=rt.addresses, now=now)
        return out


@blp.route("/people/<uuid:person_id>/links/<uuid:link_id>/openings")
class Openings(MethodView):
    @blp.response(200, schemas.OpeningOut(many=True))
    @documents(401, 403, 404)
    def get(self, person_id: Any, link_id: Any) -> list[dict[str, Any]]:
        """Who opened this link, as they described themselves, newest first."""
        out = sharing.list_openings(db_session(), current_actor(), person_id=str(person_id),
                               link_id=str(link_id))
        return out
