"""Accounts, their webhook endpoints, every delivery received, and bookings.

Nothing here depends on a provider's field names: providers are parsed into
the neutral events of ``scheduling.providers.base`` first.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from .providers import choices as provider_choices
from .providers.base import BookingStatus, EventKind


def new_endpoint_token() -> str:
    return secrets.token_urlsafe(24)


def new_signing_secret() -> str:
    # 32 lowercase hex characters: the form OnceHub's own secrets take, and
    # one every provider accepts as a chosen signing key.
    return secrets.token_hex(16)


class Account(models.Model):
    """A tenant: a business, or one customer of a SaaS vendor."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    time_zone = models.CharField(max_length=64, default="UTC")
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="accounts"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        ADMIN = "admin", "Admin"
        MEMBER = "member", "Member"

    account = models.ForeignKey(Account, on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.MEMBER)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "user"], name="membership_unique_account_user"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.account}"


class WebhookEndpoint(models.Model):
    """Where one provider subscription of one account posts its deliveries."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="endpoints"
    )
    provider = models.CharField(max_length=20, choices=provider_choices)
    name = models.CharField(max_length=200, blank=True)
    token = models.CharField(
        max_length=64, unique=True, default=new_endpoint_token, editable=False
    )
    secret = models.CharField(max_length=200, blank=True)
    previous_secret = models.CharField(max_length=200, blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    allow_unsigned = models.BooleanField(
        default=False,
        help_text="Accept deliveries without a signature (for a provider "
        "subscription that has no secret). Anyone who learns the URL can then "
        "post.",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["account", "provider", "id"]

    def __str__(self) -> str:
        label = self.name or f"{self.get_provider_display()} endpoint"
        return f"{label} ({self.account})"

    def get_absolute_url(self) -> str:
        return reverse(
            "webhook-receive", kwargs={"provider": self.provider, "token": self.token}
        )

    def accepted_secrets(self, *, now: dt.datetime | None = None) -> list[str]:
        """The secrets a delivery may be signed with right now."""
        now = now or timezone.now()
        accepted = [self.secret] if self.secret else []
        if (
            self.previous_secret
            and self.previous_secret_expires_at
            and self.previous_secret_expires_at > now
        ):
            accepted.append(self.previous_secret)
        return accepted

    def rotate_secret(self, *, new_secret: str = "", grace: dt.timedelta) -> str:
        """Install a new secret, keeping the current one valid for ``grace``."""
        if self.secret:
            self.previous_secret = self.secret
            self.previous_secret_expires_at = timezone.now() + grace
        self.secret = new_secret or new_signing_secret()
        return self.secret


class WebhookDelivery(models.Model):
    """One HTTP request that reached a webhook URL, exactly as it arrived."""

    class Status(models.TextChoices):
        RECEIVED = "received", "Received, not yet processed"
        PROCESSED = "processed", "Processed"
        DUPLICATE = "duplicate", "Duplicate of an earlier event"
        IGNORED = "ignored", "Ignored (not a booking event)"
        FAILED = "failed", "Failed"
        REJECTED = "rejected", "Rejected"

    endpoint = models.ForeignKey(
        WebhookEndpoint,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deliveries",
    )
    provider = models.CharField(max_length=20, blank=True)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    headers = models.JSONField(default=dict)
    body = models.BinaryField()
    body_size = models.PositiveIntegerField(default=0)
    body_truncated = models.BooleanField(default=False)

    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.RECEIVED
    )
    response_status = models.PositiveSmallIntegerField()
    # Why a request was rejected or why processing failed.
    error = models.TextField(blank=True)
    traceback = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    processed_at = models.DateTimeField(null=True, blank=True)
    event_id = models.CharField(max_length=200, blank=True)
    event_type = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        indexes = [
            models.Index(fields=["status", "received_at"], name="delivery_status_idx"),
        ]

    def __str__(self) -> str:
        return f"delivery {self.pk} ({self.status})"


class Customer(models.Model):
    """A person who books, one per email address within an account."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="customers"
    )
    email = models.EmailField(max_length=254)
    name = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=64, blank=True)
    company = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "email"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "email"], name="customer_unique_account_email"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email


class Booking(models.Model):
    """A meeting as its provider last described it."""

    Status = BookingStatus

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="bookings"
    )
    provider = models.CharField(max_length=20, choices=provider_choices)
    external_id = models.CharField(max_length=200)
    status = models.CharField(
        max_length=30, choices=BookingStatus.choices, default=BookingStatus.SCHEDULED
    )
    provider_status = models.CharField(max_length=50, blank=True)

    subject = models.CharField(max_length=500, blank=True)
    # Unknown until an event that names the time arrives (a reschedule can
    # name the booking it replaces before that booking's own events arrive).
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    duration_minutes = models.PositiveIntegerField(null=True, blank=True)
    time_zone = models.CharField(max_length=64, blank=True)
    booked_at = models.DateTimeField(null=True, blank=True)

    owner_id = models.CharField(max_length=200, blank=True)
    owner_name = models.CharField(max_length=200, blank=True)
    page_id = models.CharField(max_length=200, blank=True)
    page_name = models.CharField(max_length=200, blank=True)
    event_type_id = models.CharField(max_length=200, blank=True)
    event_type_name = models.CharField(max_length=200, blank=True)

    location = models.TextField(blank=True)
    join_url = models.URLField(max_length=1000, blank=True)
    cancel_url = models.URLField(max_length=1000, blank=True)
    reschedule_url = models.URLField(max_length=1000, blank=True)
    cancel_reason = models.TextField(blank=True)
    actioned_by = models.CharField(max_length=20, blank=True)

    customer = models.ForeignKey(
        Customer,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="bookings",
    )
    note = models.TextField(blank=True)
    guests = models.JSONField(default=list, blank=True)
    custom_fields = models.JSONField(default=list, blank=True)
    payment = models.JSONField(null=True, blank=True)
    provider_data = models.JSONField(default=dict, blank=True)

    replaces = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="replacements",
        help_text="The booking this one was rebooked from.",
    )
    # The time of the newest event applied: older events arriving later are
    # logged but do not overwrite what it set.
    state_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "provider", "external_id"],
                name="booking_unique_external_id",
            )
        ]
        indexes = [
            models.Index(
                fields=["account", "starts_at"], name="booking_account_start_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.subject or self.external_id


class BookingEvent(models.Model):
    """One lifecycle event of a booking, in the order the provider made them."""

    Kind = EventKind

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="booking_events"
    )
    booking = models.ForeignKey(
        Booking, on_delete=models.CASCADE, related_name="events"
    )
    delivery = models.ForeignKey(
        WebhookDelivery,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="booking_events",
    )
    provider = models.CharField(max_length=20, choices=provider_choices)
    key = models.CharField(max_length=200)
    kind = models.CharField(max_length=30, choices=EventKind.choices)
    provider_type = models.CharField(max_length=100)
    occurred_at = models.DateTimeField()
    # False when a newer event had already been applied to the booking.
    applied = models.BooleanField(default=True)
    # What changed, for the activity stream: old and new times, a reason.
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "provider", "key"], name="booking_event_unique_key"
            )
        ]
        indexes = [
            models.Index(
                fields=["account", "occurred_at"], name="event_account_time_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.occurred_at:%Y-%m-%d %H:%M}"


class Profile(models.Model):
    """A user's own preferences for the pages they read."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    # Blank: show times in the zone of the account being viewed.
    time_zone = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return f"profile of {self.user}"


def new_feed_token() -> str:
    return secrets.token_urlsafe(32)


class CalendarFeed(models.Model):
    """A user's private iCalendar feed: whoever has the URL can read it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    created_at = models.DateTimeField(auto_now_add=True)
    regenerated_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"calendar feed of {self.user}"


class ApiToken(models.Model):
    """A named API key a user made for one program; only its hash is kept."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    # The first characters of the key, shown so that a user can tell keys apart.
    prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


# Follow-ups live in their own module; importing it here registers them.
from .followups.models import (  # noqa: E402, F401
    FollowUpAttempt,
    FollowUpDelivery,
    FollowUpSubscription,
)
