"""People (the subjects of records), their members and the keys sealed to them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from keys import envelope, hybrid, record_metadata
from keys.hierarchy import AUDIT_KEY, PRIVATE_KEY, RECORD_KEY, record_metadata_binding
from vault import audit, payloads, slots
from vault.accounts import Unlocked
from vault.config import VaultConfig
from vault.errors import InvalidEntry, NotFound
from vault.keychain import Keychain
from vault.models import Member, Person, PrivateKeySlot, RecordKeySlot, new_id

ROLE_SUBJECT = "subject"
MAX_NAME = 200


def check_name(name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidEntry("Type the name this person likes to be called.", field="preferred_name")
    value = name.strip()
    if len(value) > MAX_NAME or any(ord(ch) < 32 for ch in value):
        raise InvalidEntry(
            f"A name can have at most {MAX_NAME} characters, on one line.", field="preferred_name"
        )
    return value


def _seal_display_name(record_key: bytes, person: Person, name: str) -> bytes:
    return envelope.seal(
        record_key,
        payloads.encode(name),
        aad=record_metadata_binding(person=person.id, what="display-name", epoch=person.epoch),
    )


def create_person(
    session: Session,
    config: VaultConfig,
    *,
    subject: Unlocked,
    preferred_name: object,
    now: datetime,
) -> Person:
    """Create a record whose subject is the unlocked account: new record, private and audit
    keys, the record and private keys sealed to the subject with their slot tags."""
    name = check_name(preferred_name)
    person = Person(id=new_id(), subject_account_id=subject.account_id, epoch=1, created_at=now)
    record_key = envelope.new_key()
    audit_private = hybrid.PrivateKey.generate()
    audit_public = audit_private.public_key().raw
    person.audit_public_key = audit_public
    person.audit_public_key_mac_id, person.audit_public_key_mac = config.keyring.mac_public_key(
        audit_public, owner=f"person-audit:{person.id}"
    )
    person.audit_private_wrapped = AUDIT_KEY.wrap(
        record_key, audit_private.raw, person=person.id, epoch=person.epoch
    )
    person.display_name_ct = _seal_display_name(record_key, person, name)
    person.metadata_key_wrapped = record_metadata.wrap(record_key, envelope.new_key(),
                                                       person=person.id, epoch=person.epoch)
    person.metadata_key_epoch = person.epoch
    session.add(person)
    session.flush()
    member = subject.account_id
    session.add(Member(id=new_id(), person_id=person.id, account_id=member,
                       role=ROLE_SUBJECT, created_at=now))
    sealed, tag = slots.seal_own_key(subject, RECORD_KEY, record_key, person=person.id,
                                     member=member, epoch=person.epoch)
    session.add(RecordKeySlot(person_id=person.id, account_id=member, epoch=person.epoch,
                              sealed=sealed, tag=tag))
    sealed, tag = slots.seal_own_key(subject, PRIVATE_KEY, envelope.new_key(), person=person.id,
                                     member=member)
    session.add(PrivateKeySlot(person_id=person.id, account_id=member, sealed=sealed, tag=tag))
    session.flush()
    record_event(session, config, person, "record_created", actor_account_id=member, now=now)
    return person


def audit_public_key(config: VaultConfig, person: Person) -> hybrid.PublicKey:
    return config.keyring.trusted_public_key(
        person.audit_public_key, owner=f"person-audit:{person.id}",
        key_id=person.audit_public_key_mac_id, mac=person.audit_public_key_mac)


def audit_private_key(keychain: Keychain, person: Person) -> hybrid.PrivateKey:
    raw = AUDIT_KEY.unwrap(
        keychain.record_key(person),
        person.audit_private_wrapped,
        person=person.id,
        epoch=person.epoch,
    )
    return hybrid.PrivateKey.from_bytes(raw)


def record_event(
    session: Session,
    config: VaultConfig,
    person: Person,
    kind: str,
    *,
    actor_account_id: str | None,
    now: datetime,
    details: dict[str, object] | None = None,
) -> int:
    """Append to the person's audit chain, in the caller's transaction; the event's number."""
    return audit.append_event(
        session,
        config.keyring,
        chain=audit.person_chain(person.id),
        kind=kind,
        actor_account_id=actor_account_id,
        public_key=audit_public_key(config, person),
        details=details,
        now=now,
    )


def display_name(keychain: Keychain, person: Person) -> str:
    name: str = payloads.decode(envelope.open_sealed(
        keychain.record_key(person),
        person.display_name_ct,
        aad=record_metadata_binding(person=person.id, what="display-name", epoch=person.epoch),
    ))
    return name


def set_display_name(keychain: Keychain, person: Person, name: object) -> None:
    person.display_name_ct = _seal_display_name(
        keychain.record_key(person), person, check_name(name)
    )


def membership(session: Session, *, person_id: str, account_id: str) -> Member | None:
    return session.scalar(
        select(Member).where(Member.person_id == person_id, Member.account_id == account_id)
    )


def get_visible_person(
    session: Session, *, person_id: str, account_id: str, include_hidden: bool = False
) -> tuple[Person, Member]:
    """The person, if this account is a member and the record is not destroyed.

    :raises NotFound: for anyone else's record, so existence is never revealed.
    """
    person = session.get(Person, person_id)
    member = membership(session, person_id=person_id, account_id=account_id)
    if person is None or member is None or person.destroyed_at is not None:
        raise NotFound
    if person.hidden_at is not None and not include_hidden:
        raise NotFound
    return person, member


def people_of(session: Session, *, account_id: str) -> list[tuple[Person, Member]]:
    rows = session.execute(
        select(Person, Member)
        .join(Member, Member.person_id == Person.id)
        .where(Member.account_id == account_id, Person.destroyed_at.is_(None))
        .order_by(Person.created_at)
    ).all()
    return [(p, m) for p, m in rows]


def person_of_subject(session: Session, *, account_id: str) -> Person | None:
    return session.scalar(
        select(Person).where(
            Person.subject_account_id == account_id, Person.destroyed_at.is_(None)
        )
    )


def require_person(session: Session, person_id: str) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound
    return person
