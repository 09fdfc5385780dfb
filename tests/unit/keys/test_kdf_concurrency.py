"""At most as many Argon2id derivations run at once as there are cores."""

from __future__ import annotations

import os
import threading
import time
from typing import Any

import pytest

from keys import passphrase


class _CountingArgon2id:
    """Stands in for cryptography's Argon2id (an outside boundary) to count overlap."""

    running = 0
    most = 0
    lock = threading.Lock()

    def __init__(self, **_kwargs: Any) -> None:
        pass

    def derive(self, _material: bytes) -> bytes:
        cls = type(self)
        with cls.lock:
            cls.running += 1
            cls.most = max(cls.most, cls.running)
        time.sleep(0.02)
        with cls.lock:
            cls.running -= 1
        return b"\x00" * 32


def test_derivations_are_bounded_by_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passphrase, "Argon2id", _CountingArgon2id)
    cores = os.cpu_count() or 1
    start = threading.Barrier(cores * 4)

    def sign_in() -> None:
        start.wait()
        passphrase.derive_passphrase_key("x" * 20, salt=b"s" * 16, params=passphrase.TEST_PARAMS,
                                         pepper=b"p" * 32, account_id="a")

    threads = [threading.Thread(target=sign_in) for _ in range(cores * 4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert _CountingArgon2id.most == cores
