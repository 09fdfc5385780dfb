"""A whole record through the JSON API: export, import, deletion and its undo.

These routes join the same blueprint as the rest of the API; web/app.py imports this module
so they are registered.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request
from flask.views import MethodView

from api import schemas
from api.blueprint import blp, documents
from api.context import current_actor, db_session, runtime
from consent import lifecycle

# An export carries its attachments in base64, a third larger than the files, so an import
# may be bigger than the app's usual request limit. It is read only after the caller has
# been authenticated.
IMPORT_MAX_BYTES = 64 * 1024 * 1024

_IMPORT_BODY = {
    "required": True,
    "description": "A document made by GET .../export. Ids in it are ignored; everything else "
                   "is checked, and nothing is written unless all of it is valid.",
    "content": {"application/json": {"schema": schemas.ExportDocument}},
}


@blp.route("/people/<uuid:person_id>/export")
class Export(MethodView):
    @blp.response(200, schemas.ExportDocument)
    @documents(401, 403, 404)
    def get(self, person_id: Any) -> Response:
        """The whole record, decrypted, as a file to keep. Only the person themselves."""
        rt = runtime()
        now = rt.now()
        session = db_session()
        document = lifecycle.export_record(session, rt.config, current_actor(),
                                           person_id=str(person_id), now=now)
        response = jsonify(document)
        day = now.date().isoformat()
        response.headers["Content-Disposition"] = (
            f'attachment; filename="tellonce-export-{day}.json"')
        # The whole record in plain text: no browser or proxy may keep a copy.
        response.headers["Cache-Control"] = "no-store"
        return response


@blp.route("/people/<uuid:person_id>/import")
class Import(MethodView):
    @blp.doc(requestBody=_IMPORT_BODY)
    @blp.response(201, schemas.ImportOut)
    @documents(401, 403, 404, 409, 413)
    def post(self, person_id: Any) -> dict[str, int]:
        """Recreate an exported record in this empty one: all of it or nothing."""
        rt = runtime()
        actor = current_actor()
        request.max_content_length = IMPORT_MAX_BYTES
        # The body is checked by the vault, which names the path of any problem
        # (entries[2].versions[0].data.dose); a schema here would check it twice.
        document = request.get_json(silent=True)
        session = db_session()
        counts = lifecycle.import_record(session, rt.config, actor, person_id=str(person_id),
                                         document=document, now=rt.now())
        return counts


@blp.route("/people/<uuid:person_id>")
class PersonItem(MethodView):
    @blp.response(202, schemas.DeletionOut)
    @documents(401, 403, 404, 409)
    def delete(self, person_id: Any) -> dict[str, Any]:
        """Delete the record: hidden now, destroyed when the undo period ends."""
        rt = runtime()
        session = db_session()
        out = lifecycle.delete_record(session, rt.config, current_actor(),
                                      person_id=str(person_id), now=rt.now())
        return out


@blp.route("/people/<uuid:person_id>/restore")
class Restore(MethodView):
    @blp.response(200, schemas.RestoreOut)
    @documents(401, 403, 404, 409)
    def post(self, person_id: Any) -> dict[str, Any]:
        """Undo a deletion while the undo period lasts."""
        rt = runtime()
        session = db_session()
        out = lifecycle.undo_delete_record(session, rt.config, current_actor(),
                                           person_id=str(person_id), now=rt.now())
        return out
