"""Credentials at rest: Fernet tokens made with keys from the environment.

``FOLLOWUPS_ENCRYPTION_KEYS`` lists Fernet keys, newest first: the first
encrypts, any of them decrypts, so a key can be rotated by putting a new one
in front and re-saving the subscriptions.
"""

from __future__ import annotations

import base64
import hashlib
import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class CredentialsUnreadable(Exception):
    """The stored credentials were made with a key no longer configured."""


def _fernet() -> MultiFernet:
    keys = list(settings.FOLLOWUPS_ENCRYPTION_KEYS)
    if not keys:
        # Local development and tests only: settings refuse to start without
        # a key when DEBUG is off, unless the test settings supply one.
        digest = hashlib.sha256(b"followups:" + settings.SECRET_KEY.encode()).digest()
        keys = [base64.urlsafe_b64encode(digest).decode()]
    return MultiFernet([Fernet(key) for key in keys])


def credentials_encrypt(*, values: dict[str, str]) -> str:
    if not values:
        return ""
    return _fernet().encrypt(json.dumps(values).encode()).decode()


def credentials_decrypt(*, token: str) -> dict[str, str]:
    if not token:
        return {}
    try:
        return json.loads(_fernet().decrypt(token.encode()))
    except InvalidToken as error:
        raise CredentialsUnreadable(
            "the stored credentials cannot be decrypted with the configured "
            "FOLLOWUPS_ENCRYPTION_KEYS"
        ) from error


def masked(value: str) -> str:
    """Enough of a secret to recognise it, never enough to use it."""
    if not value:
        return ""
    return f"…{value[-4:]}" if len(value) >= 12 else "…"
