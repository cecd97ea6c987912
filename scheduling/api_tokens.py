"""API keys that each user makes, names and revokes for their own programs.

A key is shown once, when it is made; only its SHA-256 hash is stored, which
is enough for keys with 256 bits of randomness.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets

from django.db.models import QuerySet
from django.utils import timezone

from .models import ApiToken

logger = logging.getLogger(__name__)

KEY_PREFIX = "bsk_"
# Writing the time of use on every request would make each read a write.
LAST_USED_RESOLUTION = dt.timedelta(minutes=5)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_tokens_for_user(*, user) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user)


def api_token_create(*, user, name: str) -> tuple[ApiToken, str]:
    """Make a key for ``user``; return the row and the key, shown only now."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name.strip()[:100], prefix=key[:10], key_hash=_hash(key)
    )
    logger.info("api token created api_token_id=%s user_id=%s", token.pk, user.pk)
    return token, key


def api_token_revoke(*, user, token_id: int) -> bool:
    deleted, _ = ApiToken.objects.filter(user=user, pk=token_id).delete()
    if deleted:
        logger.info("api token revoked api_token_id=%s user_id=%s", token_id, user.pk)
    return bool(deleted)


def api_token_for_key(*, key: str) -> ApiToken | None:
    """The active token with this key, its time of use brought up to date."""
    if not key.startswith(KEY_PREFIX):
        return None
    token = ApiToken.objects.select_related("user").filter(key_hash=_hash(key)).first()
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
