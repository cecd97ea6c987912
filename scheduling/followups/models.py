"""Subscriptions, the deliveries they make and every attempt to send them.

These models belong to the ``scheduling`` app: ``scheduling.models`` imports
this module so that Django and its migrations see them.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from ..providers.base import EventKind

# The composite choice: every lifecycle event, including kinds added later.
EVERY_EVENT = "*"
# The old half of a reschedule is never a follow-up of its own: the new
# booking's event is the one "rescheduled" follow-up.
EVENT_CHOICES = [
    (EVERY_EVENT, "Every booking event"),
    *(choice for choice in EventKind.choices if choice[0] != EventKind.REPLACED),
]


class Action(models.TextChoices):
    WEBHOOK = "webhook", "Signed webhook (Standard Webhooks)"
    SLACK = "slack", "Slack message (incoming webhook)"
    HUBSPOT = "hubspot", "HubSpot contact and meeting"
    ZENDESK = "zendesk", "Zendesk end user"
    MAILCHIMP = "mailchimp", "Mailchimp list member and tag"
    EMAIL = "email", "Email to the customer"


class FollowUpSubscription(models.Model):
    """What an account wants done, and where, when its bookings change."""

    Action = Action

    account = models.ForeignKey(
        "scheduling.Account", on_delete=models.CASCADE, related_name="subscriptions"
    )
    name = models.CharField(max_length=200)
    is_active = models.BooleanField(default=True)
    events = models.JSONField(
        default=list, help_text="Lifecycle event kinds, or '*' for every event."
    )
    owner_id = models.CharField(
        max_length=200, blank=True, help_text="Only bookings of this owner."
    )
    page_id = models.CharField(
        max_length=200, blank=True, help_text="Only bookings from this booking page."
    )
    event_type_id = models.CharField(
        max_length=200, blank=True, help_text="Only bookings of this event type."
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    # Settings the admin may read back; anything secret is in ``credentials``.
    settings = models.JSONField(default=dict, blank=True)
    # A Fernet token of a JSON object: tokens, API keys, signing secrets.
    credentials = models.TextField(blank=True, editable=False)
    # When the signing secret a rotation replaced stops being used.
    previous_secret_until = models.DateTimeField(null=True, blank=True)

    paused_reason = models.CharField(max_length=500, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    # Deliveries in a row that ended without success; reset by a success.
    failures_in_a_row = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["account", "name", "id"]
        verbose_name = "follow-up subscription"

    def __str__(self) -> str:
        return f"{self.name} ({self.get_action_display()})"

    def wants(self, *, kind: str, booking) -> bool:
        """Whether an event of ``kind`` about ``booking`` concerns this subscription."""
        if EVERY_EVENT not in self.events and kind not in self.events:
            return False
        for field in ("owner_id", "page_id", "event_type_id"):
            wanted = getattr(self, field)
            if wanted and getattr(booking, field) != wanted:
                return False
        return True


class FollowUpDelivery(models.Model):
    """One booking event to be sent by one subscription, however many tries it takes."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed (not retried)"
        DEAD = "dead", "Dead (retries spent)"
        SUPERSEDED = "superseded", "Superseded (part of a reschedule)"

    subscription = models.ForeignKey(
        FollowUpSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    booking_event = models.ForeignKey(
        "scheduling.BookingEvent",
        on_delete=models.CASCADE,
        related_name="followup_deliveries",
    )
    booking = models.ForeignKey(
        "scheduling.Booking",
        on_delete=models.CASCADE,
        related_name="followup_deliveries",
    )
    # The follow-up's own kind: a reschedule that came as a new booking is
    # "rescheduled" even when the provider called it "scheduled".
    kind = models.CharField(max_length=30, choices=EventKind.choices)
    # The Standard Webhooks message id: the same for every try.
    message_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    payload = models.JSONField(default=dict)

    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.PENDING
    )
    next_attempt_at = models.DateTimeField(default=timezone.now)
    attempt_count = models.PositiveIntegerField(default=0)
    # Retries an admin asked for and the worker has not made yet.
    manual_retries_pending = models.PositiveIntegerField(default=0)
    # A worker sending right now holds the delivery until then.
    locked_until = models.DateTimeField(null=True, blank=True)
    # What the remote service called the object it made (a HubSpot meeting).
    remote_ref = models.CharField(max_length=200, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "follow-up delivery"
        verbose_name_plural = "follow-up deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "booking_event"],
                name="followup_delivery_unique_event",
            )
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="followup_due_idx"),
            # The admin lists newest first, whole or per subscription.
            models.Index(fields=["-created_at", "-id"], name="followup_time_idx"),
            models.Index(
                fields=["subscription", "-created_at", "-id"],
                name="followup_sub_time_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"follow-up {self.pk} ({self.kind}, {self.status})"

    @property
    def webhook_id(self) -> str:
        return f"msg_{self.message_id.hex}"


class FollowUpAttempt(models.Model):
    """One try at sending a delivery, as it went on the wire."""

    delivery = models.ForeignKey(
        FollowUpDelivery, on_delete=models.CASCADE, related_name="attempts"
    )
    number = models.PositiveIntegerField()
    manual = models.BooleanField(default=False)
    started_at = models.DateTimeField(default=timezone.now)
    duration_ms = models.PositiveIntegerField(default=0)
    request_summary = models.TextField(blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_excerpt = models.TextField(blank=True)
    error = models.TextField(blank=True)
    succeeded = models.BooleanField(default=False)

    class Meta:
        ordering = ["delivery", "number"]
        verbose_name = "follow-up attempt"

    def __str__(self) -> str:
        return f"attempt {self.number} of follow-up {self.delivery_id}"
