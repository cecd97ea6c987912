"""Account and endpoint provisioning, shared by the admin and the commands."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction

from .models import Account, WebhookEndpoint

logger = logging.getLogger(__name__)


def account_get_or_create(*, slug: str, name: str = "") -> tuple[Account, bool]:
    return Account.objects.get_or_create(slug=slug, defaults={"name": name or slug})


def endpoint_create(
    *,
    account: Account,
    provider: str,
    name: str = "",
    secret: str = "",
    allow_unsigned: bool = False,
) -> WebhookEndpoint:
    """Create an endpoint; without ``secret`` a new one is generated.

    Some providers generate the secret of a webhook subscription themselves
    and show it when it is created there, so an operator may pass it in.
    """
    endpoint = WebhookEndpoint(
        account=account, provider=provider, name=name, allow_unsigned=allow_unsigned
    )
    endpoint.rotate_secret(new_secret=secret, grace=dt.timedelta(0))
    endpoint.save()
    logger.info(
        "webhook endpoint created endpoint_id=%s account_id=%s provider=%s",
        endpoint.pk,
        account.pk,
        provider,
    )
    return endpoint


def endpoint_rotate_secret(*, endpoint: WebhookEndpoint, secret: str = "") -> str:
    """Give the endpoint a new secret; the old one stays valid for a grace period."""
    grace = dt.timedelta(seconds=settings.WEBHOOK_SECRET_GRACE_SECONDS)
    with transaction.atomic():
        new_secret = endpoint.rotate_secret(new_secret=secret, grace=grace)
        endpoint.save(
            update_fields=["secret", "previous_secret", "previous_secret_expires_at"]
        )
    logger.info(
        "webhook endpoint secret rotated endpoint_id=%s old_secret_valid_until=%s",
        endpoint.pk,
        endpoint.previous_secret_expires_at,
    )
    return new_secret
