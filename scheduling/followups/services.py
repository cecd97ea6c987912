"""Make follow-up deliveries from booking events and send them.

A delivery is created in the transaction that logs its booking event and is
queued only once that transaction commits. Sending claims the delivery row
under a lock and checks its state first, so a duplicated task message, the
periodic sweep and an admin's retry never send the same try twice.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import uuid

import requests
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from ..models import Booking, BookingEvent, Membership
from ..providers.base import EventKind
from .actions import ACTIONS, Job, Outcome
from .actions.webhook import new_webhook_secret
from .credentials import CredentialsUnreadable, credentials_decrypt, credentials_encrypt
from .models import FollowUpAttempt, FollowUpDelivery, FollowUpSubscription
from .outbound import AddressRefused
from .payloads import payload_for_event, sample_payload

logger = logging.getLogger(__name__)

Status = FollowUpDelivery.Status


# --- Subscriptions -----------------------------------------------------------


def subscription_save(
    *,
    subscription: FollowUpSubscription,
    credentials: dict[str, str] | None = None,
) -> str:
    """Validate and save a subscription; return a new webhook secret, if made.

    ``credentials`` holds only what was entered: a name left out keeps its
    stored value. A webhook subscription without a secret gets one, which
    is returned so that it can be shown once.
    """
    action = ACTIONS[subscription.action]
    stored = credentials_decrypt(token=subscription.credentials)
    merged = {**stored, **{k: v for k, v in (credentials or {}).items() if v}}
    merged = {k: v for k, v in merged.items() if k in action.credential_fields}
    new_secret = ""
    if subscription.action == subscription.Action.WEBHOOK and not merged.get("secret"):
        new_secret = merged["secret"] = new_webhook_secret()
    subscription.settings = action.clean(
        settings=dict(subscription.settings or {}), credentials=merged
    )
    subscription.credentials = credentials_encrypt(values=merged)
    created = subscription.pk is None
    subscription.save()
    logger.info(
        "follow-up subscription %s subscription_id=%s account_id=%s action=%s",
        "created" if created else "saved",
        subscription.pk,
        subscription.account_id,
        subscription.action,
    )
    return new_secret


def subscription_rotate_secret(*, subscription: FollowUpSubscription) -> str:
    """Give a webhook subscription a new secret; sign with both for a while."""
    values = credentials_decrypt(token=subscription.credentials)
    new_secret = new_webhook_secret()
    if values.get("secret"):
        values["previous_secret"] = values["secret"]
        subscription.previous_secret_until = timezone.now() + dt.timedelta(
            seconds=settings.FOLLOWUPS_SECRET_GRACE_SECONDS
        )
    values["secret"] = new_secret
    subscription.credentials = credentials_encrypt(values=values)
    subscription.save(update_fields=["credentials", "previous_secret_until"])
    logger.info(
        "follow-up secret rotated subscription_id=%s old_secret_until=%s",
        subscription.pk,
        subscription.previous_secret_until,
    )
    return new_secret


def subscription_pause(*, subscription: FollowUpSubscription, reason: str) -> None:
    """Stop sending for a subscription and tell the account's admins why."""
    updated = FollowUpSubscription.objects.filter(
        pk=subscription.pk, is_active=True
    ).update(is_active=False, paused_reason=reason[:500], paused_at=timezone.now())
    if not updated:
        return
    logger.warning(
        "follow-up subscription paused subscription_id=%s account_id=%s reason=%s",
        subscription.pk,
        subscription.account_id,
        reason,
    )
    recipients = list(
        Membership.objects.filter(
            account_id=subscription.account_id, role=Membership.Role.ADMIN
        )
        .exclude(user__email="")
        .values_list("user__email", flat=True)
    )
    if not recipients:
        return
    try:
        send_mail(
            subject=f"Follow-up paused: {subscription.name}",
            message=(
                f'The follow-up "{subscription.name}" '
                f"({subscription.get_action_display()}) was paused and sends "
                f"nothing until it is made active again.\n\nReason: {reason}\n\n"
                "Its deliveries and their attempts are listed in the admin; "
                "retry them once the cause is fixed."
            ),
            from_email=None,
            recipient_list=recipients,
        )
    except Exception:
        logger.exception(
            "could not email admins about paused subscription_id=%s", subscription.pk
        )


def subscription_send_test(*, subscription: FollowUpSubscription) -> Outcome:
    """Send a made-up booking through the subscription, recording nothing."""
    job = _job(
        subscription=subscription,
        payload=sample_payload(account=subscription.account),
        webhook_id=f"msg_test{uuid.uuid4().hex}",
    )
    outcome = _perform(subscription=subscription, job=job)
    logger.info(
        "follow-up test sent subscription_id=%s result=%s error=%s",
        subscription.pk,
        outcome.result,
        outcome.error or "-",
    )
    return outcome


# --- Deliveries ----------------------------------------------------------------


def followup_kind(*, event: BookingEvent, booking: Booking) -> str:
    """The follow-up an event makes: a new booking replacing one is a reschedule."""
    if event.kind == EventKind.SCHEDULED and booking.replaces_id:
        return EventKind.RESCHEDULED
    return event.kind


def followups_for_event(*, event: BookingEvent) -> list[FollowUpDelivery]:
    """Make the deliveries a newly logged event calls for; queue them on commit.

    Call inside the transaction that created ``event``: a rollback then
    takes the deliveries with it and nothing is queued.
    """
    booking = event.booking
    if not event.applied:
        logger.debug(
            "no follow-ups for an event older than its booking event_id=%s", event.pk
        )
        return []
    kind = followup_kind(event=event, booking=booking)
    if kind == EventKind.REPLACED:
        logger.debug(
            "no follow-ups for the old half of a reschedule event_id=%s", event.pk
        )
        return []
    if kind == EventKind.CANCELED and Booking.objects.filter(replaces=booking).exists():
        # The cancel half of a reschedule: the new booking's event says it all.
        logger.debug(
            "no follow-ups for the cancel of a rescheduled booking event_id=%s "
            "booking_id=%s",
            event.pk,
            booking.pk,
        )
        return []
    if kind == EventKind.RESCHEDULED and booking.replaces_id:
        _supersede_cancels(booking_id=booking.replaces_id)

    subscriptions = [
        subscription
        for subscription in FollowUpSubscription.objects.filter(
            account_id=event.account_id, is_active=True
        )
        if subscription.wants(kind=kind, booking=booking)
    ]
    if not subscriptions:
        return []

    now = timezone.now()
    # A cancel waits a little, so that the new booking of a reschedule sent
    # as two events can turn it into one "rescheduled" follow-up.
    hold = settings.FOLLOWUPS_CANCEL_HOLD_SECONDS if kind == EventKind.CANCELED else 0
    payload = payload_for_event(event=event, booking=booking, kind=kind)
    deliveries = FollowUpDelivery.objects.bulk_create(
        [
            FollowUpDelivery(
                subscription=subscription,
                booking_event=event,
                booking=booking,
                kind=kind,
                payload=payload,
                next_attempt_at=now + dt.timedelta(seconds=hold),
                created_at=now,
            )
            for subscription in subscriptions
        ]
    )
    for delivery in deliveries:
        logger.info(
            "follow-up created delivery_id=%s subscription_id=%s event_id=%s kind=%s",
            delivery.pk,
            delivery.subscription_id,
            event.pk,
            kind,
        )
    if not hold:
        ids = [delivery.pk for delivery in deliveries]
        transaction.on_commit(lambda: deliveries_enqueue(delivery_ids=ids))
    return deliveries


def _supersede_cancels(*, booking_id: int) -> None:
    superseded = FollowUpDelivery.objects.filter(
        booking_id=booking_id,
        kind=EventKind.CANCELED,
        status=Status.PENDING,
        attempt_count=0,
    ).update(status=Status.SUPERSEDED, finished_at=timezone.now())
    if superseded:
        logger.info(
            "canceled follow-ups superseded by a reschedule booking_id=%s count=%s",
            booking_id,
            superseded,
        )


def deliveries_enqueue(*, delivery_ids: list[int], manual: bool = False) -> None:
    """Queue sending; a broker outage leaves the deliveries to the sweep."""
    from .tasks import deliver_followup

    for delivery_id in delivery_ids:
        try:
            deliver_followup.delay(delivery_id, manual)
        except Exception:
            logger.warning(
                "could not queue follow-up delivery_id=%s; left for the sweep",
                delivery_id,
                exc_info=True,
            )


def deliveries_retry(*, delivery_ids: list[int]) -> int:
    """Ask for one more real attempt of each delivery, whatever its state."""
    with transaction.atomic():
        count = FollowUpDelivery.objects.filter(pk__in=delivery_ids).update(
            manual_retries_pending=F("manual_retries_pending") + 1
        )
        transaction.on_commit(
            lambda: deliveries_enqueue(delivery_ids=list(delivery_ids), manual=True)
        )
    logger.info("follow-up retries requested delivery_ids=%s", delivery_ids)
    return count


def delivery_attempt(*, delivery_id: int, manual: bool = False) -> str:
    """Make one attempt if the delivery is due (or a retry was asked for).

    Returns the delivery's status afterwards, or "" when nothing was sent.
    """
    claimed = _claim(delivery_id=delivery_id, manual=manual)
    if claimed is None:
        return ""
    delivery, subscription = claimed

    previous = ""
    if subscription.action == FollowUpSubscription.Action.HUBSPOT:
        previous = _previous_remote_ref(delivery=delivery)
    job = _job(
        subscription=subscription,
        payload=delivery.payload,
        webhook_id=delivery.webhook_id,
        previous_remote_ref=previous,
    )
    started_at = timezone.now()
    outcome = _perform(subscription=subscription, job=job)
    return _record(
        delivery=delivery,
        subscription=subscription,
        outcome=outcome,
        started_at=started_at,
        manual=manual,
    )


def deliveries_send_due(*, limit: int = 200) -> int:
    """Attempt every due delivery and every asked-for retry; return how many."""
    now = timezone.now()
    due = (
        FollowUpDelivery.objects.filter(
            Q(
                status=Status.PENDING,
                next_attempt_at__lte=now,
                subscription__is_active=True,
            )
            | Q(manual_retries_pending__gt=0)
        )
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        .order_by("next_attempt_at", "id")
        .values_list("id", "manual_retries_pending")[:limit]
    )
    count = 0
    for delivery_id, retries in list(due):
        if delivery_attempt(delivery_id=delivery_id, manual=retries > 0):
            count += 1
    if count:
        logger.info("follow-up sweep sent count=%s", count)
    return count


def _claim(*, delivery_id: int, manual: bool):
    """Lock the row, check it still needs this try, and hold it while sending."""
    now = timezone.now()
    with transaction.atomic():
        delivery = (
            FollowUpDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("subscription__account")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None:
            logger.info("follow-up not available delivery_id=%s", delivery_id)
            return None
        if delivery.locked_until and delivery.locked_until > now:
            logger.info("follow-up being sent elsewhere delivery_id=%s", delivery_id)
            return None
        subscription = delivery.subscription
        if manual and delivery.manual_retries_pending > 0:
            delivery.manual_retries_pending -= 1
        elif (
            delivery.status != Status.PENDING
            or delivery.next_attempt_at > now
            or not subscription.is_active
        ):
            logger.debug(
                "follow-up not due delivery_id=%s status=%s",
                delivery_id,
                delivery.status,
            )
            return None
        else:
            manual = False
        delivery.locked_until = now + dt.timedelta(
            seconds=settings.FOLLOWUPS_LEASE_SECONDS
        )
        delivery.save(update_fields=["locked_until", "manual_retries_pending"])
    return delivery, subscription


def _previous_remote_ref(*, delivery: FollowUpDelivery) -> str:
    booking_ids = [delivery.booking_id]
    replaces = (
        Booking.objects.filter(pk=delivery.booking_id)
        .values_list("replaces_id", flat=True)
        .first()
    )
    if replaces:
        booking_ids.append(replaces)
    ref = (
        FollowUpDelivery.objects.filter(
            subscription_id=delivery.subscription_id, booking_id__in=booking_ids
        )
        .exclude(remote_ref="")
        .order_by("-finished_at")
        .values_list("remote_ref", flat=True)
        .first()
    )
    return ref or ""


def _job(
    *,
    subscription: FollowUpSubscription,
    payload: dict,
    webhook_id: str,
    previous_remote_ref: str = "",
) -> Job:
    until = subscription.previous_secret_until
    return Job(
        payload=payload,
        webhook_id=webhook_id,
        settings=subscription.settings,
        credentials={},
        previous_remote_ref=previous_remote_ref,
        previous_secret_valid=bool(until and until > timezone.now()),
        account_name=subscription.account.name,
    )


def _perform(*, subscription: FollowUpSubscription, job: Job) -> Outcome:
    """Run the action, turning what it raises into an outcome."""
    try:
        job.credentials = credentials_decrypt(token=subscription.credentials)
        return ACTIONS[subscription.action].perform(job)
    except (CredentialsUnreadable, AddressRefused) as error:
        return Outcome("stop", error=str(error))
    except requests.Timeout as error:
        return Outcome("retry", error=f"timed out: {error}")
    except requests.RequestException as error:
        return Outcome("retry", error=f"{type(error).__name__}: {error}")
    except Exception as error:
        logger.exception(
            "follow-up action raised subscription_id=%s webhook_id=%s",
            subscription.pk,
            job.webhook_id,
        )
        return Outcome("retry", error=f"{type(error).__name__}: {error}")


def retry_delay(*, attempt_count: int, retry_after: float | None) -> float | None:
    """Seconds until the next try after ``attempt_count`` tries, or None if spent."""
    schedule = settings.FOLLOWUPS_RETRY_SCHEDULE
    if attempt_count > len(schedule):
        return None
    base = schedule[attempt_count - 1]
    jitter = settings.FOLLOWUPS_RETRY_JITTER
    delay = base * random.uniform(1 - jitter, 1 + jitter)
    if retry_after is not None:
        delay = max(delay, min(retry_after, settings.FOLLOWUPS_RETRY_AFTER_MAX))
    return delay


def _record(
    *,
    delivery: FollowUpDelivery,
    subscription: FollowUpSubscription,
    outcome: Outcome,
    started_at: dt.datetime,
    manual: bool,
) -> str:
    """Store the attempt and the delivery's next state; the claim still holds it."""
    now = timezone.now()
    with transaction.atomic():
        delivery.attempt_count += 1
        last = outcome.last
        FollowUpAttempt.objects.create(
            delivery=delivery,
            number=delivery.attempt_count,
            manual=manual,
            started_at=started_at,
            duration_ms=sum(e.duration_ms for e in outcome.exchanges),
            request_summary="\n\n".join(e.request_summary for e in outcome.exchanges),
            response_status=last.status if last else None,
            response_excerpt=last.excerpt if last else "",
            error=outcome.error,
            succeeded=outcome.result == "ok",
        )
        delivery.locked_until = None
        delivery.last_error = outcome.error
        if outcome.remote_ref:
            delivery.remote_ref = outcome.remote_ref[:200]

        if outcome.result == "ok":
            delivery.status = Status.SUCCEEDED
        elif outcome.result == "retry":
            delay = retry_delay(
                attempt_count=delivery.attempt_count, retry_after=outcome.retry_after
            )
            if delay is None:
                delivery.status = Status.DEAD
            else:
                delivery.status = Status.PENDING
                delivery.next_attempt_at = now + dt.timedelta(seconds=delay)
        else:
            delivery.status = Status.FAILED
        if delivery.status != Status.PENDING:
            delivery.finished_at = now
        # Not manual_retries_pending: an admin may be adding to it right now.
        delivery.save(
            update_fields=[
                "attempt_count",
                "locked_until",
                "last_error",
                "remote_ref",
                "status",
                "next_attempt_at",
                "finished_at",
            ]
        )

        pause_reason = ""
        if outcome.result == "ok":
            if subscription.failures_in_a_row:
                FollowUpSubscription.objects.filter(pk=subscription.pk).update(
                    failures_in_a_row=0
                )
        elif outcome.result == "gone":
            pause_reason = f"the service answered 410 Gone to delivery {delivery.pk}"
        elif delivery.status in (Status.FAILED, Status.DEAD):
            FollowUpSubscription.objects.filter(pk=subscription.pk).update(
                failures_in_a_row=F("failures_in_a_row") + 1
            )
            failures = (
                FollowUpSubscription.objects.filter(pk=subscription.pk)
                .values_list("failures_in_a_row", flat=True)
                .get()
            )
            if failures >= settings.FOLLOWUPS_PAUSE_AFTER_FAILURES:
                pause_reason = (
                    f"{failures} deliveries in a row failed; the last one "
                    f"({delivery.pk}) with: {outcome.error}"
                )

    log = logger.info if outcome.result == "ok" else logger.warning
    log(
        "follow-up attempt delivery_id=%s subscription_id=%s attempt=%s manual=%s "
        "result=%s status=%s next_attempt_at=%s error=%s",
        delivery.pk,
        subscription.pk,
        delivery.attempt_count,
        manual,
        outcome.result,
        delivery.status,
        delivery.next_attempt_at.isoformat() if delivery.status == "pending" else "-",
        outcome.error or "-",
    )
    if pause_reason:
        subscription_pause(subscription=subscription, reason=pause_reason)
    return delivery.status
