"""What a running server holds: the database, the vault configuration and the clock.

It has no web framework in it; the app factory builds one and both ``api`` and ``web``
reach it through the app, so neither imports the other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from consent.notices import Mailer
from consent.sharing import LinkAddresses
from vault.config import VaultConfig
from vault.db import Database


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class Runtime:
    db: Database
    config: VaultConfig
    env: str
    base_url: str
    # Where share links point (the viewer page and the manifests), routed by the front doors.
    addresses: LinkAddresses
    clock: Callable[[], datetime] = field(default=system_clock)
    # Sends notices by email when the operator configures SMTP; None sends nothing.
    mailer: Mailer | None = None

    def now(self) -> datetime:
        return self.clock()

    def set_clock(self, clock: Callable[[], datetime]) -> None:
        """Only the test environment may move time; anything else is a mistake."""
        if self.env != "test":
            raise RuntimeError("The clock can only be set when TELLONCE_ENV=test.")
        self.clock = clock
