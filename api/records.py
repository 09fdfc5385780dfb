"""A person's record under /api/v1: the people an account can see, their entries and
versions, the medicines indicators, and the record's history."""

from __future__ import annotations

from typing import Any

from flask import Response, make_response
from flask.views import MethodView

from api import schemas
from api.blueprint import blp, documents, written
from api.context import current_actor, db_session, runtime
from consent import history, records
from consent.records import EntryView


def _entry_out(view: EntryView) -> dict[str, Any]:
    return {
        "id": view.id, "person_id": view.person_id, "section": view.section,
        "version": view.version, "data": view.data, "tiers": view.tiers,
        "provenance": view.provenance, "author_account_id": view.author_account_id,
        "author_role": view.author_role, "created_at": view.created_at,
        "updated_at": view.updated_at, "deleted": view.deleted,
    }


def entries_json(views: list[EntryView]) -> list[dict[str, Any]]:
    """What ``EntryOut(many=True)`` dumps of ``views``, without marshmallow (``written``)."""
    return [{**_entry_out(v), "created_at": v.created_at.isoformat(),
             "updated_at": v.updated_at.isoformat()} for v in views]


@blp.route("/people")
class People(MethodView):
    @blp.response(200, schemas.PersonOut(many=True))
    @documents(401)
    def get(self) -> list[dict[str, str]]:
        """The people whose records this account can see."""
        return records.list_people(db_session(), current_actor())


@blp.route("/people/<uuid:person_id>/entries")
class Entries(MethodView):
    @blp.arguments(schemas.EntriesQuery, location="query")
    @blp.response(200, schemas.EntryOut(many=True))
    @documents(401, 403, 404)
    def get(self, query: dict[str, Any], person_id: Any) -> Response:
        """Current versions of the person's entries, optionally of one section."""
        rt = runtime()
        views = records.list_entries(db_session(), rt.config, current_actor(),
                                     person_id=str(person_id), section=query.get("section"),
                                     now=rt.now())
        return written(entries_json(views))

    @blp.arguments(schemas.EntryIn)
    @blp.response(201, schemas.EntryOut)
    @documents(401, 403, 404)
    def post(self, data: dict[str, Any], person_id: Any) -> dict[str, Any]:
        """Add an entry; `text` alone is enough in every section."""
        rt = runtime()
        view = records.create_entry(db_session(), rt.config, current_actor(),
                                    person_id=str(person_id), now=rt.now(), **data)
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
        return _entry_out(view)

    @blp.response(204)
    @documents(401, 403, 404)
    def delete(self, person_id: Any, entry_id: Any) -> Response:
        """Delete an entry; its earlier versions stay in its history."""
        rt = runtime()
        records.delete_entry(db_session(), rt.config, current_actor(), person_id=str(person_id),
                             entry_id=str(entry_id), now=rt.now())
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
        return [_entry_out(v) for v in views]


@blp.route("/people/<uuid:person_id>/medicines/indicators")
class MedicineIndicators(MethodView):
    @blp.response(200, schemas.IndicatorsOut)
    @documents(401, 403, 404)
    def get(self, person_id: Any) -> dict[str, Any]:
        """Reviews overdue, psychotropic medicines with no reason or plan, and the count."""
        rt = runtime()
        return records.read_medicine_indicators(db_session(), rt.config, current_actor(),
                                            person_id=str(person_id), now=rt.now(),
                                            today=rt.now().date())


@blp.route("/people/<uuid:person_id>/history")
class History(MethodView):
    @blp.response(200, schemas.HistoryOut)
    @documents(401, 403, 404)
    def get(self, person_id: Any) -> dict[str, Any]:
        """Who did what with the record, newest first, and the head of its hash chain."""
        rt = runtime()
        return history.read_history(db_session(), rt.config, current_actor(),
                                    person_id=str(person_id))
