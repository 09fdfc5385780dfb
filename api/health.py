"""Liveness and readiness, for the operator's load balancer: outside /api/v1, JSON all the same."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify
from sqlalchemy import text

from api.context import db_session

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def health() -> Response:
    """Liveness: answers without touching anything."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def ready() -> tuple[Response, int]:
    """Readiness: the database answers."""
    try:
        db_session().execute(text("SELECT 1"))
    except Exception:
        current_app.logger.exception("readiness check failed")
        return jsonify({"status": "unavailable"}), 503
    return jsonify({"status": "ok"}), 200
