"""Loading the demo people (web/demo_data.py) through the same services as everyone else."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from consent import accounts, records, sharing, tokens
from consent.policy import Actor
from consent.runtime import Runtime
from web.demo_data import DEMO_ACCOUNTS

DEMO_TOKEN_LIFETIME = timedelta(days=30)
DEMO_LINK_LIFETIME = timedelta(days=180)
# Demo passcodes are as public as the demo passphrases: they open only demo records.
DEMO_LINKS = (
    {"template": "emergency", "label": "Emergency card", "passcode": None},
    {"template": "gp", "label": "For my GP", "passcode": "blue-kettle-42"},
)


def load_demo(session: Session, rt: Runtime) -> list[dict[str, Any]]:
    """Create any missing demo account and its entries; issue each a fresh API token."""
    return [_load_one(session, rt, spec) for spec in DEMO_ACCOUNTS]


def _load_one(session: Session, rt: Runtime, spec: dict[str, Any]) -> dict[str, Any]:
    now = rt.now()
    actor = _demo_actor(session, rt, spec)
    person_id = accounts.require_own_record(session, actor).person_id
    if not records.list_entries(session, rt.config, actor, person_id=person_id, section=None,
                                now=now):
        for position, entry in enumerate(spec["entries"]):
            # A microsecond apart, so entries list in the order the demo wrote them.
            records.create_entry(session, rt.config, actor, person_id=person_id,
                                 section=entry["section"], data=entry["data"],
                                 tiers=entry.get("tiers"), provenance=entry.get("provenance"),
                                 now=now + timedelta(microseconds=position))
    links = _demo_links(session, rt, actor, person_id)
    token, _described = tokens.create_token(
        session, rt.config, actor, name="demo", scopes=["read", "write", "share", "manage"],
        person_ids=[person_id],
        expires_at=now + DEMO_TOKEN_LIFETIME, now=now)
    return {"login": spec["login"], "passphrase": spec["passphrase"], "person_id": person_id,
            "api_token": token, "links": links}


def _demo_actor(session: Session, rt: Runtime, spec: dict[str, Any]) -> Actor:
    """The demo account, made now or unlocked with its (public) demo passphrase."""
    if not accounts.account_exists(session, rt.config, login=spec["login"]):
        accounts.sign_up(session, rt.config, login=spec["login"], email=spec["email"],
                         passphrase=spec["passphrase"], preferred_name=spec["preferred_name"],
                         now=rt.now())
    return accounts.unlock_at_command_line(session, rt.config, login=spec["login"],
                                           passphrase=spec["passphrase"])


def _demo_links(session: Session, rt: Runtime, actor: Actor, person_id: str) -> list[dict[str, Any]]:
    """An emergency link without a passcode and a GP link with one; kept while they work."""
    now = rt.now()
    live = {link["label"]: link for link in sharing.list_links(
        session, actor, person_id=person_id, addresses=rt.addresses, now=now)
        if link["state"] == "live"}
    out = []
    for spec in DEMO_LINKS:
        link = live.get(str(spec["label"]))
        if link is None:
            made = sharing.create_link(session, rt.config, actor, person_id=person_id, now=now,
                                       choices=sharing.LinkChoices(
                                           template=str(spec["template"]),
                                           label=str(spec["label"]),
                                           expires_at=now + DEMO_LINK_LIFETIME,
                                           passcode=spec["passcode"]))
            link = sharing.read_link(session, actor, person_id=person_id, link_id=made.id,
                                     addresses=rt.addresses, now=now)
        out.append({"label": link["label"], "url": link["url"], "passcode": spec["passcode"],
                    "expires_at": link["expires_at"].isoformat()})
    return out
