"""Page safety: CSRF tokens, Origin and Fetch-Metadata checks, and strict headers.

The JSON API is exempt from the CSRF token (it takes bearer tokens, or a SameSite=Strict
cookie with a JSON body no other site can send without a preflight), but not from the
Origin and Fetch-Metadata checks on unsafe methods. Which views these apply to is decided by
the blueprint a request was routed to, never by its path.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Flask, Response, abort, current_app, request
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
PUBLIC = "TELLONCE_PUBLIC_BLUEPRINTS"

# No inline script or style anywhere; every file comes from this server.
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)


def _same_origin(origin: str) -> bool:
    here = urlsplit(request.host_url)
    there = urlsplit(origin)
    return (there.scheme, there.netloc) == (here.scheme, here.netloc)


def check_request_origin() -> None:
    """Refuse unsafe requests that a browser says came from another site."""
    if request.method not in UNSAFE or request.blueprint in current_app.config[PUBLIC]:
        return
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site not in ("same-origin", "none"):
        abort(403, "This form was sent from another website, so it was not accepted.")
    origin = request.headers.get("Origin")
    if origin is not None and origin != "null" and not _same_origin(origin):
        abort(403, "This form was sent from another website, so it was not accepted.")
    # Browsers send "Origin: null" with every form from a page whose Referrer-Policy is
    # no-referrer, as ours is (the Fetch standard says so): there the browser's own
    # Sec-Fetch-Site, which no page can set, vouches for it. Without it, an opaque origin (a
    # sandboxed frame, a data: page) is refused.
    if origin == "null" and site != "same-origin":
        abort(403, "This form was sent from an unknown place, so it was not accepted.")


def page_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    # The API's blueprints set their own, stricter policy first (api/front_door.py).
    headers.setdefault("Content-Security-Policy", PAGE_POLICY)
    # Personal data must not be kept by a browser's cache or a proxy: only the static files,
    # which hold nothing personal, may be cached.
    if request.endpoint != "static":
        headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask, *, secret: bytes, exempt: list[Blueprint],
             public: list[Blueprint]) -> None:
    """``exempt`` blueprints take no CSRF token; ``public`` ones are open to any site."""
    # Flask's own session cookie carries only the CSRF token, signed with the keyring's
    # cookie key; __Host- and SameSite=Strict keep it to this site.
    app.secret_key = secret
    app.config.update(
        SESSION_COOKIE_NAME="__Host-tellonce-form",
        SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_PATH="/",
        WTF_CSRF_TIME_LIMIT=None,  # The token lives as long as the form cookie.
        WTF_CSRF_SSL_STRICT=False,  # Origin is checked above, for every unsafe request.
    )
    csrf.init_app(app)
    for blueprint in exempt:
        csrf.exempt(blueprint)
    # The SMART Health Links manifest is a public protocol endpoint that any SHL viewer, on
    # any site, may call. It reads no cookie and acts for nobody signed in, so a request from
    # another site gains nothing that a request from anywhere else would not.
    app.config[PUBLIC] = frozenset(blueprint.name for blueprint in public)
    app.before_request(check_request_origin)
    app.after_request(page_headers)
