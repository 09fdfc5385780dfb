"""Opening the keys of a record with an unlocked account, once per request.

The chain is: account private key → record key (sealed to the member, per epoch) → content
keys (wrapped by the record key, per section and tier, or per S item) → data keys (per
entry version part). P parts use the person's private key, sealed only to the subject.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from keys import envelope
from keys.binding import BindValue
from keys.errors import DecryptionFailed
from keys.hierarchy import CONTENT_KEY, PRIVATE_KEY, RECORD_KEY, Sealed
from vault import slots
from vault.accounts import Unlocked
from vault.config import VaultConfig
from vault.errors import NotFound
from vault.models import ContentKey, Person, PrivateKeySlot, RecordKeySlot
from vault.sections import Tier


def section_scope(section: str) -> str:
    return f"section:{section}"


def item_scope(entry_id: str) -> str:
    return f"item:{entry_id}"


class Keychain:
    """Keys opened for one account during one request; never stored anywhere."""

    def __init__(self, session: Session, config: VaultConfig, unlocked: Unlocked) -> None:
        self.session = session
        self.config = config
        self.unlocked = unlocked
        self._record: dict[tuple[str, int], bytes] = {}
        self._content: dict[tuple[str, str, str, int], bytes] = {}
        self._private: dict[str, bytes] = {}

    @property
    def account_id(self) -> str:
        return self.unlocked.account_id

    def record_key(self, person: Person) -> bytes:
        """:raises NotFound: when this account holds no slot for the person's epoch."""
        cache_key = (person.id, person.epoch)
        if cache_key not in self._record:
            slot = self.session.get(RecordKeySlot, (person.id, self.account_id, person.epoch))
            if slot is None:
                raise NotFound
            ids: dict[str, BindValue] = {"person": person.id, "member": self.account_id,
                                         "epoch": person.epoch}
            try:
                self._record[cache_key] = self.open_own(RECORD_KEY, slot.sealed, slot.tag, ids)
            except DecryptionFailed:
                raise NotFound from None
        return self._record[cache_key]

    def private_key(self, person: Person) -> bytes:
        if person.id not in self._private:
            slot = self.session.get(PrivateKeySlot, (person.id, self.account_id))
            if slot is None:
                raise NotFound
            self._private[person.id] = self.open_own(
                PRIVATE_KEY, slot.sealed, slot.tag, {"person": person.id, "member": self.account_id})
        return self._private[person.id]

    def open_own(self, kind: Sealed, sealed: bytes, tag: bytes | None,
                 ids: dict[str, BindValue]) -> bytes:
        """A key this account sealed for itself, once its slot tag shows nobody planted it.

        :raises SlotForged: never caught here, so a planted key is refused loudly.
        """
        key = slots.open_own(self.session, self.config, self.unlocked, sealed, tag,
                             info=kind.binding(ids), kind=kind.label)
        if len(key) != kind.key_length:
            raise DecryptionFailed
        return key

    def open_own_data(self, sealed: bytes, tag: bytes | None, *, info: bytes, kind: str) -> bytes:
        """Data this account sealed for itself (a name, a secret), once its tag is checked."""
        return slots.open_own(self.session, self.config, self.unlocked, sealed, tag, info=info,
                              kind=kind)

    def content_key(
        self, person: Person, scope: str, tier: Tier, epoch: int, *, create: bool = False
    ) -> bytes:
        """The content key for ``scope`` and ``tier`` at ``epoch``; P uses the private key."""
        if tier is Tier.P:
            return self.private_key(person)
        cache_key = (person.id, scope, tier.value, epoch)
        if cache_key in self._content:
            return self._content[cache_key]
        row = self.session.get(ContentKey, (person.id, scope, tier.value, epoch))
        record_key = self.record_key(person)
        ids: dict[str, BindValue] = {"person": person.id, "scope": scope, "tier": tier.value, "epoch": epoch}
        if row is None:
            if not create:
                raise NotFound
            key = envelope.new_key()
            self.session.add(
                ContentKey(
                    person_id=person.id,
                    scope=scope,
                    tier=tier.value,
                    epoch=epoch,
                    wrapped=CONTENT_KEY.wrap(record_key, key, **ids),
                )
            )
            self.session.flush()
        else:
            key = CONTENT_KEY.unwrap(record_key, row.wrapped, **ids)
        self._content[cache_key] = key
        return key

    def preload_content_keys(self, person: Person) -> None:
        """Open every content key of the current epoch in one query (a whole-record read)."""
        record_key = self.record_key(person)
        rows = self.session.scalars(
            select(ContentKey).where(
                ContentKey.person_id == person.id, ContentKey.epoch == person.epoch
            )
        )
        for row in rows:
            cache_key = (person.id, row.scope, row.tier, row.epoch)
            if cache_key not in self._content:
                self._content[cache_key] = CONTENT_KEY.unwrap(
                    record_key,
                    row.wrapped,
                    person=person.id,
                    scope=row.scope,
                    tier=row.tier,
                    epoch=row.epoch,
                )
