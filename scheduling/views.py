"""Webhook receiving: store the request first, answer at once, process later."""

from __future__ import annotations

import functools
import logging
import time

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import RequestDataTooBig
from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.http.request import RawPostDataException
from django.views.decorators.csrf import csrf_exempt

from . import providers
from .deliveries import delivery_enqueue, delivery_record
from .models import WebhookDelivery, WebhookEndpoint
from .providers.base import SignatureError

logger = logging.getLogger(__name__)

Status = WebhookDelivery.Status


# Providers post without a CSRF token or a session: this view authenticates
# them by the URL's token and the body's signature instead.
@csrf_exempt
@login_not_required
def webhook_receive(request: HttpRequest, provider: str, token: str) -> JsonResponse:
    module = providers.get(provider)
    endpoint = None
    if module is not None:
        # One lookup by the unique token, with no join and no ordering.
        try:
            endpoint = WebhookEndpoint.objects.get(
                provider=provider, token=token, is_active=True
            )
        except WebhookEndpoint.DoesNotExist:
            pass
    body, body_size, read_error = _read_body(request)
    record = functools.partial(
        delivery_record,
        endpoint=endpoint,
        provider=provider,
        method=request.method,
        path=request.path,
        remote_addr=request.META.get("REMOTE_ADDR"),
        headers=dict(request.headers),
        body_size=body_size,
    )

    # Never 410: providers delete a subscription that answers 410.
    if endpoint is None:
        return _reject(record, body, 404, "unknown webhook endpoint")
    if request.method != "POST":
        response = _reject(record, body, 405, f"method {request.method} not allowed")
        response["Allow"] = "POST"
        return response
    if read_error:
        return _reject(record, body, 400, read_error)
    if body_size > settings.WEBHOOK_MAX_BODY_BYTES:
        return _reject(
            record,
            body,
            413,
            f"body of {body_size} bytes is over the limit of "
            f"{settings.WEBHOOK_MAX_BODY_BYTES}",
        )

    headers = {name.lower(): value for name, value in request.headers.items()}
    if module.is_signed(headers) or not endpoint.allow_unsigned:
        max_age = module.SIGNATURE_MAX_AGE_SECONDS
        if max_age is None:
            max_age = settings.WEBHOOK_SIGNATURE_MAX_AGE_SECONDS
        try:
            module.verify(
                headers=headers,
                body=body,
                secrets=endpoint.accepted_secrets(),
                now=time.time(),
                max_age=max_age,
            )
        except SignatureError as error:
            return _reject(record, body, 401, f"invalid signature: {error}")

    # One INSERT, committed on its own. Queue only once the row is committed,
    # or the worker may not see it: on_commit runs at once outside a
    # transaction, and waits for the commit inside one.
    delivery = record(body=body, status=Status.RECEIVED, response_status=202)
    transaction.on_commit(functools.partial(delivery_enqueue, delivery.pk))
    return JsonResponse({"status": "accepted", "delivery": delivery.pk}, status=202)


def _reject(record, body: bytes, status: int, reason: str) -> JsonResponse:
    cap = settings.WEBHOOK_REJECTED_BODY_CAP
    record(
        body=body[:cap],
        status=Status.REJECTED,
        response_status=status,
        error=reason,
    )
    return JsonResponse({"error": reason}, status=status)


def _read_body(request: HttpRequest) -> tuple[bytes, int, str]:
    """Return the exact body bytes (at most what is kept), their size, an error.

    A body over the limit is not read in full: only the part kept for the
    record is.
    """
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return b"", 0, "the Content-Length header is not a number"
    if declared > settings.WEBHOOK_MAX_BODY_BYTES:
        return request.read(settings.WEBHOOK_REJECTED_BODY_CAP), declared, ""
    try:
        # Django keeps the bytes once read, so a middleware that looked at
        # request.POST first changes nothing here.
        body = request.body
    except RequestDataTooBig:
        return b"", declared, ""
    except RawPostDataException:
        return (
            b"",
            declared,
            "the body was consumed as a multipart form before it could be read",
        )
    return body, len(body), ""
