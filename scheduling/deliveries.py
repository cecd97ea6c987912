"""Store webhook deliveries as they arrived, then process them into bookings.

Receiving and processing are separate steps: a delivery is stored before
anything in it is trusted, and processing can run again at any time (from the
worker, the periodic sweep, the admin or the command line) with the same
result.
"""

from __future__ import annotations

import datetime as dt
import logging
import traceback

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import providers
from .bookings import booking_apply_event
from .models import WebhookDelivery, WebhookEndpoint
from .providers.base import Ignored, PayloadError, validate

logger = logging.getLogger(__name__)

Status = WebhookDelivery.Status

# Request headers never worth keeping: they could carry someone's credentials.
_UNSTORED_HEADERS = {"authorization", "cookie", "proxy-authorization", "x-api-key"}


class ProcessingFailed(Exception):
    """Processing raised; the delivery records why. Worth another try."""


def delivery_record(
    *,
    endpoint: WebhookEndpoint | None,
    provider: str,
    method: str,
    path: str,
    remote_addr: str | None,
    headers: dict[str, str],
    body: bytes,
    body_size: int,
    status: str,
    response_status: int,
    error: str = "",
) -> WebhookDelivery:
    """Store one request that reached a webhook URL, accepted or not."""
    truncated = len(body) < body_size
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        provider=provider[:20],
        method=method[:10],
        path=path[:500],
        remote_addr=remote_addr or None,
        headers={
            name: value
            for name, value in headers.items()
            if name.lower() not in _UNSTORED_HEADERS
        },
        body=body,
        body_size=body_size,
        body_truncated=truncated,
        status=status,
        response_status=response_status,
        error=error,
    )
    if status == Status.REJECTED:
        logger.warning(
            "webhook delivery rejected delivery_id=%s endpoint_id=%s status=%s "
            "reason=%s",
            delivery.pk,
            endpoint.pk if endpoint else None,
            response_status,
            error,
        )
    else:
        logger.info(
            "webhook delivery received delivery_id=%s endpoint_id=%s provider=%s "
            "bytes=%s",
            delivery.pk,
            endpoint.pk if endpoint else None,
            provider,
            body_size,
        )
    return delivery


def delivery_enqueue(delivery_id: int) -> None:
    """Queue processing; a broker outage leaves the delivery to the sweep."""
    from .tasks import process_webhook_delivery

    try:
        process_webhook_delivery.delay(delivery_id)
    except Exception:
        # Any broker or network error: the delivery is stored and answered,
        # and sweep_webhook_deliveries or process_webhook_deliveries will
        # pick it up, so the request must not fail here.
        logger.warning(
            "could not queue webhook delivery delivery_id=%s; left for the sweep",
            delivery_id,
            exc_info=True,
        )


def delivery_process(*, delivery_id: int, force: bool = False) -> str:
    """Parse a stored delivery and apply its event; return the new status.

    A delivery already handled is left as it is unless ``force`` is set,
    in which case it runs again and, being idempotent, changes no booking
    twice. Raises ``ProcessingFailed`` after recording an error that another
    try might not hit (a database error, a bug fixed since).
    """
    failure = None
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("endpoint__account")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None:
            # Gone, or another worker holds it right now.
            logger.info("webhook delivery not available delivery_id=%s", delivery_id)
            return ""
        if delivery.status == Status.REJECTED or delivery.endpoint is None:
            return delivery.status
        if delivery.status != Status.RECEIVED and delivery.status != Status.FAILED:
            if not force:
                return delivery.status

        delivery.attempts += 1
        delivery.error = delivery.traceback = ""
        provider = providers.get(delivery.provider)
        try:
            result = provider.parse(bytes(delivery.body))
            if not isinstance(result, Ignored):
                validate(result)
        except PayloadError as error:
            # The same bytes will never parse: no retry.
            _finish(delivery, Status.FAILED, error=str(error))
            return delivery.status
        except Exception as error:
            # Parsing is pure, so whatever it raised it will raise again for
            # these bytes: record it as a body that cannot be processed.
            _finish(
                delivery,
                Status.FAILED,
                error=f"body could not be parsed: {type(error).__name__}: {error}",
                trace=traceback.format_exc(),
            )
            return delivery.status

        delivery.event_type = _column_text(result.provider_type, 100)
        delivery.event_id = _column_text(result.key, 200)
        if isinstance(result, Ignored):
            _finish(delivery, Status.IGNORED, error=result.reason)
            return delivery.status

        try:
            row, created = booking_apply_event(
                account=delivery.endpoint.account, event=result, delivery=delivery
            )
        except Exception as error:
            failure = error
            _finish(
                delivery,
                Status.FAILED,
                error=f"{type(error).__name__}: {error}",
                trace=traceback.format_exc(),
            )
        else:
            if created or row.delivery_id == delivery.pk:
                _finish(delivery, Status.PROCESSED)
            else:
                _finish(
                    delivery,
                    Status.DUPLICATE,
                    error=f"event {row.key} was first delivered in "
                    f"delivery {row.delivery_id}",
                )

    if failure is not None:
        raise ProcessingFailed(str(failure)) from failure
    return delivery.status


def deliveries_sweep(
    *, older_than: dt.timedelta | None = None, limit: int = 500
) -> int:
    """Process deliveries left unprocessed, oldest first; return how many ran.

    Deliveries normally reach the worker through the broker; this catches the
    ones whose message was lost (broker down, worker killed).
    """
    if older_than is None:
        older_than = dt.timedelta(seconds=settings.WEBHOOK_SWEEP_AFTER_SECONDS)
    pending = (
        WebhookDelivery.objects.filter(
            status=Status.RECEIVED, received_at__lte=timezone.now() - older_than
        )
        .order_by("received_at", "id")
        .values_list("id", flat=True)[:limit]
    )
    count = 0
    for delivery_id in list(pending):
        try:
            delivery_process(delivery_id=delivery_id)
        except ProcessingFailed:
            pass  # Recorded on the delivery and logged.
        except Exception:
            # One delivery must never hold up the ones behind it.
            logger.exception("sweep could not process delivery_id=%s", delivery_id)
        count += 1
    if count:
        logger.info("swept webhook deliveries count=%s", count)
    return count


def _column_text(value: str, length: int | None = None) -> str:
    """Text any database column takes: no NUL, no unpaired surrogate."""
    value = value.encode("utf-8", "replace").decode().replace("\x00", "")
    return value[:length] if length else value


def _finish(
    delivery: WebhookDelivery, status: str, *, error: str = "", trace: str = ""
) -> None:
    delivery.status = status
    delivery.error = error = _column_text(error)
    delivery.traceback = _column_text(trace)
    delivery.processed_at = timezone.now()
    delivery.save(
        update_fields=[
            "status",
            "error",
            "traceback",
            "attempts",
            "processed_at",
            "event_id",
            "event_type",
        ]
    )
    log = logger.warning if status == Status.FAILED else logger.info
    log(
        "webhook delivery %s delivery_id=%s event_id=%s event_type=%s attempt=%s%s",
        status,
        delivery.pk,
        delivery.event_id or "-",
        delivery.event_type or "-",
        delivery.attempts,
        f" error={error}" if error else "",
    )
