"""What the vault needs from the running server: its keyring and its cost settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from redis import Redis

from keys.keyring import Keyring
from keys.passphrase import DEFAULT_PARAMS, KdfParams


@dataclass(frozen=True)
class VaultConfig:
    keyring: Keyring
    kdf_params: KdfParams = DEFAULT_PARAMS
    session_idle: timedelta = timedelta(minutes=15)
    session_absolute: timedelta = timedelta(hours=12)
    token_max_lifetime: timedelta = timedelta(days=366)
    deletion_undo_period: timedelta = timedelta(days=14)
    attachment_max_bytes: int = 10 * 1024 * 1024
    # Where the key of the day and the polling counts live when set (decision 0011); the
    # database otherwise, and whenever it does not answer.
    redis: Redis | None = field(default=None, compare=False)
