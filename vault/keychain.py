"""Opening the keys of a record with an unlocked account, once per request.

The chain is: account private key → record key (sealed to the member, per epoch) → content
keys (wrapped by the record key, per section and tier, or per S item) → data keys (per
entry version part). P parts use the person's private key, sealed only to the subject. The
record's metadata key, under the record key too, seals each entry's section and keys the
content keys' scopes (decision 0012).
"""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from keys import envelope, record_metadata
from keys.binding import BindValue
from keys.errors import DecryptionFailed
from keys.hierarchy import CONTENT_KEY, PRIVATE_KEY, RECORD_KEY, Sealed
from keys.record_metadata import RecordMetadata
from vault import slots
from vault.accounts import Unlocked
from vault.config import VaultConfig
from vault.db import run_prepared
from vault.errors import NotFound
from vault.models import ContentKey, Person, PrivateKeySlot, RecordKeySlot
from vault.sections import SECTION_NAMES, Tier


def section_scope(section: str) -> str:
    return f"section:{section}"


def item_scope(entry_id: str) -> str:
    return f"item:{entry_id}"


_STORED_CONTENT_KEY = select(ContentKey.scope, ContentKey.wrapped).where(
    ContentKey.person_id == bindparam("person"),
    ContentKey.scope.in_(bindparam("scopes", expanding=True)),
    ContentKey.tier == bindparam("tier"), ContentKey.epoch == bindparam("epoch"))


class Keychain:
    """Keys opened for one account during one request; never stored anywhere."""

    def __init__(self, session: Session, config: VaultConfig, unlocked: Unlocked) -> None:
        self.session = session
        self.config = config
        self.unlocked = unlocked
        self._record: dict[tuple[str, int], bytes] = {}
        self._content: dict[tuple[str, str, str, int], bytes] = {}
        self._private: dict[str, bytes] = {}
        self._metadata: dict[str, RecordMetadata] = {}
        # Sections opened in this request, by the entry's or file's id.
        self.sections: dict[str, str] = {}

    @property
    def account_id(self) -> str:
        return self.unlocked.account_id

    def record_key(self, person: Person, epoch: int | None = None) -> bytes:
        """The record key of ``epoch`` (the current one by default).

        :raises NotFound: when this account holds no slot for that epoch.
        """
        epoch = person.epoch if epoch is None else epoch
        cache_key = (person.id, epoch)
        if cache_key not in self._record:
            slot = self.session.get(RecordKeySlot, (person.id, self.account_id, epoch))
            if slot is None:
                raise NotFound
            ids: dict[str, BindValue] = {"person": person.id, "member": self.account_id,
                                         "epoch": epoch}
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

    def metadata(self, person: Person) -> RecordMetadata | None:
        """The record's metadata sub-keys; None for a record from before decision 0012.

        :raises DecryptionFailed: for a metadata key changed or moved in the database.
        """
        if person.id not in self._metadata:
            if person.metadata_key_wrapped is None or person.metadata_key_epoch is None:
                return None
            key = record_metadata.unwrap(
                self.record_key(person, person.metadata_key_epoch), person.metadata_key_wrapped,
                person=person.id, epoch=person.metadata_key_epoch)
            self._metadata[person.id] = RecordMetadata(key)
        return self._metadata[person.id]

    def metadata_to_write(self, person: Person) -> RecordMetadata:
        """The record's metadata sub-keys, for sealing: a record from before decision 0012 is
        given its key first, in this unit of work."""
        metadata = self.metadata(person)
        if metadata is None:
            key = envelope.new_key()
            person.metadata_key_wrapped = record_metadata.wrap(
                self.record_key(person), key, person=person.id, epoch=person.epoch)
            person.metadata_key_epoch = person.epoch
            metadata = self._metadata[person.id] = RecordMetadata(key)
        return metadata

    def stored_scopes(self, person: Person, scope: str) -> list[str]:
        """What a content key of ``scope`` may be stored by: its index, then (for a record
        not upgraded yet, or a row written meanwhile without it) the scope itself."""
        metadata = self.metadata(person)
        return [scope] if metadata is None else [metadata.scope_index(scope), scope]

    def content_key(
        self, person: Person, scope: str, tier: Tier, epoch: int, *, create: bool = False
    ) -> bytes:
        """The content key for ``scope`` and ``tier`` at ``epoch``; P uses the private key."""
        if tier is Tier.P:
            return self.private_key(person)
        cache_key = (person.id, scope, tier.value, epoch)
        if cache_key in self._content:
            return self._content[cache_key]
        wrapped = self._stored_content_key(person, scope, tier, epoch)
        record_key = self.record_key(person)
        ids: dict[str, BindValue] = {"person": person.id, "scope": scope, "tier": tier.value, "epoch": epoch}
        if wrapped is None:
            if not create:
                raise NotFound
            key = envelope.new_key()
            # Flushed with the rest of the unit of work: every later lookup of a content key
            # (run_prepared) flushes first, and this keychain has the key cached meanwhile.
            self.session.add(
                ContentKey(
                    person_id=person.id,
                    scope=self.metadata_to_write(person).scope_index(scope),
                    tier=tier.value,
                    epoch=epoch,
                    wrapped=CONTENT_KEY.wrap(record_key, key, **ids),
                )
            )
        else:
            key = CONTENT_KEY.unwrap(record_key, wrapped, **ids)
        self._content[cache_key] = key
        return key

    def _stored_content_key(self, person: Person, scope: str, tier: Tier,
                            epoch: int) -> bytes | None:
        """The wrapped content key, stored by its scope's index or else by the scope itself:
        one prepared statement, where two ORM lookups by primary key cost several times as
        much on the path of every edit."""
        stored = self.stored_scopes(person, scope)
        rows = dict(run_prepared(self.session, _STORED_CONTENT_KEY, {
            "person": person.id, "scopes": stored, "tier": tier.value, "epoch": epoch}).all())
        return next((rows[s] for s in stored if s in rows), None)

    def preload_content_keys(self, person: Person) -> None:
        """Load every content key of the current epoch in one query (a whole-record read), and
        open those of the sections. An S item's key is opened when its part is: its row is in
        the session already, so that costs no query, and no index is worked out for items
        that have no key."""
        record_key = self.record_key(person)
        metadata = self.metadata(person)
        named = {}
        if metadata is not None:  # An index names no scope: work out which each stands for.
            named = {metadata.scope_index(section_scope(n)): section_scope(n)
                     for n in SECTION_NAMES}
        rows = self.session.scalars(
            select(ContentKey).where(
                ContentKey.person_id == person.id, ContentKey.epoch == person.epoch
            )
        )
        for row in rows:
            scope = named.get(row.scope, row.scope)
            cache_key = (person.id, scope, row.tier, row.epoch)
            if ":" not in scope or cache_key in self._content:
                continue
            self._content[cache_key] = CONTENT_KEY.unwrap(
                record_key, row.wrapped, person=person.id, scope=scope, tier=row.tier,
                epoch=row.epoch)
