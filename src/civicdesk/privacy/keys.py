"""Keys for pseudonyms and encryption: from settings, or a per-data-folder key file in
development and tests. Production refuses to run without a configured key."""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from pathlib import Path

from pydantic import SecretStr

from civicdesk.errors import CivicdeskError
from civicdesk.privacy.operators import Pseudonym, Seal
from civicdesk.settings import Settings


class PrivacyKeyError(CivicdeskError):
    """A key the privacy engine needs is missing or unusable."""

    code = "E830"


def derive(material: bytes, purpose: str) -> bytes:
    """32 bytes for one purpose from any secret (distinct purposes never share a key)."""
    return hashlib.sha256(b"civicdesk-privacy\x00" + purpose.encode() + b"\x00" + material).digest()


def resolve_key(secret: SecretStr, settings: Settings, purpose: str, setting: str) -> bytes:
    """The configured secret, else (outside production) a key file kept in data_dir."""
    value = secret.get_secret_value()
    if value:
        if len(value) < 16:
            raise PrivacyKeyError(
                f"{setting} is shorter than 16 characters.",
                hint=f"Set CIVICDESK_{setting.upper()} to a random value of 32+ characters.",
                code="E831",
            )
        return derive(value.encode(), purpose)
    if settings.environment == "production":
        raise PrivacyKeyError(
            f"{setting} is not set, and production never invents keys.",
            hint=f"Set CIVICDESK_{setting.upper()} to a random value, e.g. the output of "
            "`python3 -c 'import secrets; print(secrets.token_urlsafe(48))'`, and keep it safe: "
            "data protected with it cannot be read without it.",
            code="E832",
        )
    return derive(_key_file(settings.data_dir / f"privacy-{purpose}.key"), purpose)


def _key_file(path: Path) -> bytes:
    if path.exists():
        return base64.urlsafe_b64decode(path.read_bytes().strip())
    path.parent.mkdir(parents=True, exist_ok=True)
    material = secrets.token_bytes(32)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(base64.urlsafe_b64encode(material))
    return material


def sealer(settings: Settings) -> Seal:
    """The encryption operator for this deployment (only permitted roles may reveal)."""
    return Seal(resolve_key(settings.encryption_key, settings, "encryption", "encryption_key"))


def pseudonymiser(settings: Settings) -> Pseudonym:
    """The keyed pseudonym operator for this deployment: same value, same pseudonym."""
    return Pseudonym(resolve_key(settings.pseudonym_key, settings, "pseudonym", "pseudonym_key"))
