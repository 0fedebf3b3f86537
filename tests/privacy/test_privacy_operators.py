"""Operators apart from detection; reveal allowed only for permitted roles, always audited."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from civicdesk.privacy import PrivacyEngine
from civicdesk.privacy.keys import PrivacyKeyError, pseudonymiser, resolve_key, sealer
from civicdesk.privacy.operators import Mask, Placeholder, Pseudonym, Seal, SealedValueError
from civicdesk.privacy.reveal import RevealRefused, reveal
from civicdesk.settings import Settings
from civicdesk.store.audit import AuditEvent, verify_chain

TEXT = "I'm Aisha Khan, NI AB 12 34 56 C, phone 07700 900123."


def test_placeholder_is_the_default(engine: PrivacyEngine) -> None:
    redaction = engine.redact(TEXT)
    assert redaction.text == "I'm <PERSON>, NI <UK_NINO>, phone <PHONE_NUMBER>."
    assert redaction.types == frozenset({"PERSON", "UK_NINO", "PHONE_NUMBER"})
    assert [TEXT[s.start : s.end] for s in redaction.spans] == [
        "Aisha Khan",
        "AB 12 34 56 C",
        "07700 900123",
    ]
    assert engine.redact(TEXT, Placeholder()).text == redaction.text


@pytest.mark.parametrize(
    ("operator", "expected"),
    [
        (Mask(), "I'm ***** ****, NI ** ** ** ** *, phone ***** ******."),
        (Mask(char="#", keep_last=3), "I'm ##### #han, NI ## ## ## 56 C, phone ##### ###123."),
    ],
)
def test_mask(engine: PrivacyEngine, operator: Mask, expected: str) -> None:
    assert engine.redact(TEXT, operator).text == expected


def test_pseudonyms_are_keyed_stable_and_ignore_spacing(engine: PrivacyEngine) -> None:
    one = Pseudonym(b"k" * 32)
    first = engine.redact("NI AB 12 34 56 C", one).text
    again = engine.redact("my national insurance number is ab123456c", one).text
    assert first.startswith("NI <UK_NINO_") and first.endswith(">")
    assert first.removeprefix("NI ") in again
    other_key = engine.redact("NI AB 12 34 56 C", Pseudonym(b"j" * 32)).text
    assert other_key != first
    other_person = engine.redact("NI AB 12 34 56 D", one).text
    assert other_person != first


def test_pseudonymiser_from_settings_is_stable(
    engine: PrivacyEngine, sqlite_settings: Settings
) -> None:
    first = engine.redact("email jo@example.org", pseudonymiser(sqlite_settings)).text
    second = engine.redact("email JO@example.org", pseudonymiser(sqlite_settings)).text
    assert first == second and first.startswith("email <EMAIL_ADDRESS_")


def test_seal_round_trip_and_tamper() -> None:
    seal = Seal(b"s" * 32)
    sealed = seal("AB123456C", "UK_NINO")
    kind, token = sealed[1:-1].split(":", 1)
    assert kind == "UK_NINO" and "AB123456C" not in sealed
    assert seal.open(token, kind) == "AB123456C"
    with pytest.raises(SealedValueError):
        seal.open(token, "UK_NHS")
    with pytest.raises(SealedValueError):
        Seal(b"t" * 32).open(token, kind)


def _events(engine: Engine) -> list[AuditEvent]:
    with Session(engine) as session:
        return list(session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars())


@pytest.mark.parametrize("role", ["caseworker", "supervisor", "admin"])
def test_reveal_for_permitted_roles_is_audited(
    engine: PrivacyEngine, sqlite_settings: Settings, sqlite_engine: Engine, role: str
) -> None:
    sealed = engine.redact(TEXT, sealer(sqlite_settings)).text
    assert "Aisha" not in sealed and "AB 12" not in sealed
    with Session(sqlite_engine) as session:
        shown = reveal(
            sealed,
            role=role,
            actor="staff:42",
            session=session,
            settings=sqlite_settings,
            object_type="inquiry",
            object_id="INQ-1",
        )
        session.commit()
        assert verify_chain(session).ok
    assert shown.text == TEXT and shown.count == 3
    [event] = _events(sqlite_engine)
    assert (event.actor, event.action, event.object_id) == ("staff:42", "privacy.reveal", "INQ-1")
    payload = json.loads(event.payload)
    assert payload == {"role": role, "types": ["PERSON", "PHONE_NUMBER", "UK_NINO"], "count": 3}
    assert "Aisha" not in event.payload and "07700" not in event.payload


@pytest.mark.parametrize("role", ["citizen", "analyst", "auditor", "unknown"])
def test_reveal_refused_for_other_roles_and_audited(
    engine: PrivacyEngine, sqlite_settings: Settings, sqlite_engine: Engine, role: str
) -> None:
    sealed = engine.redact(TEXT, sealer(sqlite_settings)).text
    with Session(sqlite_engine) as session, pytest.raises(RevealRefused) as refused:
        reveal(sealed, role=role, actor="user:7", session=session, settings=sqlite_settings)
    assert refused.value.code == "E820"
    [event] = _events(sqlite_engine)
    assert event.action == "privacy.reveal_refused"
    assert "Aisha" not in event.payload


def test_development_key_file_is_created_once(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", environment="development")
    first = resolve_key(settings.encryption_key, settings, "encryption", "encryption_key")
    second = resolve_key(settings.encryption_key, settings, "encryption", "encryption_key")
    assert first == second and len(first) == 32
    key_file = tmp_path / "data" / "privacy-encryption.key"
    assert key_file.exists() and key_file.stat().st_mode & 0o777 == 0o600


def test_configured_key_wins_and_production_refuses_without(tmp_path: Path) -> None:
    configured = Settings(data_dir=tmp_path, encryption_key="x" * 40)
    key = resolve_key(configured.encryption_key, configured, "encryption", "encryption_key")
    assert len(key) == 32 and not (tmp_path / "privacy-encryption.key").exists()
    production = Settings(data_dir=tmp_path, environment="production", secret_key="s" * 40)
    with pytest.raises(PrivacyKeyError) as missing:
        resolve_key(production.pseudonym_key, production, "pseudonym", "pseudonym_key")
    assert missing.value.code == "E832"
    short = Settings(data_dir=tmp_path, pseudonym_key="short")
    with pytest.raises(PrivacyKeyError):
        resolve_key(short.pseudonym_key, short, "pseudonym", "pseudonym_key")
