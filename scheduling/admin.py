"""The operators' back office: accounts, endpoints, the delivery log, bookings.

Everything that arrives from a provider (deliveries, customers, bookings and
their events) is shown read-only here: the webhooks write those rows, and an
edit made by hand would be silently overwritten by the next delivery or would
break the idempotency that the event log provides. Admin actions only call the
service functions in ``accounts`` and ``deliveries``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import zoneinfo
from collections import Counter

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.timesince import timeuntil

from .accounts import endpoint_create, endpoint_rotate_secret
from .deliveries import ProcessingFailed, delivery_process
from .models import (
    Account,
    Booking,
    BookingEvent,
    Customer,
    Membership,
    WebhookDelivery,
    WebhookEndpoint,
)

logger = logging.getLogger(__name__)


def _admin_link(obj, text: str = "") -> str:
    """An HTML link to the admin change page of ``obj``."""
    opts = obj._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, text or str(obj))


def _when(moment: dt.datetime) -> str:
    local = timezone.localtime(moment)
    return f"{date_format(local, 'DATETIME_FORMAT')} {local.tzname()}"


def _pretty_json(value) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)


def _pre(text: str) -> str:
    return format_html('<pre style="white-space: pre-wrap">{}</pre>', text)


class _ProviderDataAdmin(admin.ModelAdmin):
    """Look, do not touch: the rows belong to what the provider sent."""

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class _ProviderDataInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


# Accounts


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["user", "role"]
    autocomplete_fields = ["user"]


class AccountForm(forms.ModelForm):
    class Meta:
        model = Account
        fields = ["name", "slug", "time_zone"]

    def clean_time_zone(self) -> str:
        name = self.cleaned_data["time_zone"].strip()
        try:
            zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise forms.ValidationError(
                "Not a time zone name. Use one such as Europe/Berlin or UTC."
            ) from None
        return name


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    form = AccountForm
    inlines = [MembershipInline]
    list_display = ["name", "slug", "time_zone", "endpoint_count"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Account]:
        return (
            super().get_queryset(request).annotate(_endpoint_count=Count("endpoints"))
        )

    @admin.display(description="Endpoints", ordering="_endpoint_count")
    def endpoint_count(self, account: Account) -> int:
        return account._endpoint_count


# Webhook endpoints


class WebhookEndpointForm(forms.ModelForm):
    """Endpoint settings, plus a write-only field for a provider's secret.

    The stored secrets are not model form fields at all, so they can never be
    rendered back into the page.
    """

    new_secret = forms.CharField(
        required=False,
        max_length=WebhookEndpoint._meta.get_field("secret").max_length,
        widget=forms.PasswordInput(
            render_value=False, attrs={"autocomplete": "new-password"}
        ),
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["account", "provider", "name", "is_active", "allow_unsigned"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["new_secret"]
        if self.instance._state.adding:
            field.label = "Signing secret"
            field.help_text = (
                "Paste the secret the provider showed when the webhook "
                "subscription was created there, or leave this blank to have "
                "one generated. It is shown once after saving, never again."
            )
        else:
            now = timezone.now()
            grace = dt.timedelta(seconds=settings.WEBHOOK_SECRET_GRACE_SECONDS)
            field.label = "New signing secret"
            field.help_text = (
                "To rotate the secret, paste a new one the provider generated. "
                f"The current secret stays accepted for {timeuntil(now + grace, now)}"
                ", so deliveries already signed with it still pass. Leave blank "
                "to keep the current secret."
            )

    def clean_new_secret(self) -> str:
        secret = self.cleaned_data["new_secret"].strip()
        current = "" if self.instance._state.adding else self.instance.secret
        if secret and secret == current:
            raise forms.ValidationError("This is already the current secret.")
        return secret


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = [
        "label",
        "account",
        "provider",
        "is_active",
        "allow_unsigned",
        "created_at",
    ]
    list_filter = ["provider", "is_active", "allow_unsigned", "account"]
    list_select_related = ["account"]
    # "=token" finds the endpoint a pasted webhook URL belongs to.
    search_fields = ["name", "account__name", "=token"]
    actions = ["rotate_signing_secret"]

    add_fieldsets = [
        (
            None,
            {"fields": ["account", "provider", "name", "allow_unsigned", "new_secret"]},
        ),
    ]
    change_fieldsets = [
        (None, {"fields": ["account", "provider", "name", "is_active", "created_at"]}),
        ("Webhook", {"fields": ["webhook_url", "allow_unsigned"]}),
        ("Signing secret", {"fields": ["secret_state", "new_secret"]}),
    ]

    def get_fieldsets(self, request: HttpRequest, obj=None):
        return self.add_fieldsets if obj is None else self.change_fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        if obj is None:
            return []
        # The provider is part of the URL configured at the provider, and the
        # account owns every booking already received: changing either would
        # break the subscription or mix two tenants' data.
        return ["account", "provider", "created_at", "webhook_url", "secret_state"]

    def get_object(self, request: HttpRequest, object_id: str, from_field=None):
        endpoint = super().get_object(request, object_id, from_field)
        if endpoint is not None:
            # Read-only fields are rendered from the object alone, and the
            # absolute URL needs the request's host.
            endpoint.admin_webhook_url = _webhook_url(request, endpoint)
        return endpoint

    @admin.display(description="Name", ordering="name")
    def label(self, endpoint: WebhookEndpoint) -> str:
        return endpoint.name or f"{endpoint.get_provider_display()} endpoint"

    @admin.display(description="Webhook URL")
    def webhook_url(self, endpoint: WebhookEndpoint) -> str:
        url = getattr(endpoint, "admin_webhook_url", endpoint.get_absolute_url())
        return format_html("<code>{}</code>", url)

    @admin.display(description="Secret")
    def secret_state(self, endpoint: WebhookEndpoint) -> str:
        if not endpoint.secret:
            state = "None set: only unsigned deliveries can be accepted."
        else:
            state = "Set (never shown again after it was created or rotated)."
        accepted = endpoint.accepted_secrets()
        if endpoint.previous_secret and endpoint.previous_secret in accepted:
            state += (
                " The previous secret is still accepted until "
                f"{_when(endpoint.previous_secret_expires_at)}."
            )
        return state

    def save_model(self, request, obj, form, change) -> None:
        secret = form.cleaned_data.get("new_secret", "")
        if not change:
            endpoint = endpoint_create(
                account=obj.account,
                provider=obj.provider,
                name=obj.name,
                secret=secret,
                allow_unsigned=obj.allow_unsigned,
            )
            # The admin goes on to log and redirect with the instance its form
            # built, so make that instance the row the service created.
            _adopt(obj, endpoint)
            messages.success(
                request,
                format_html(
                    "Webhook URL: <code>{}</code> Signing secret: <code>{}</code> "
                    "Enter both at {} now: the secret is not shown again.",
                    _webhook_url(request, endpoint),
                    endpoint.secret,
                    endpoint.get_provider_display(),
                ),
            )
            return

        super().save_model(request, obj, form, change)
        if secret:
            _rotate(request, endpoint=obj, secret=secret)

    @admin.action(description="Rotate signing secret", permissions=["change"])
    def rotate_signing_secret(self, request: HttpRequest, queryset) -> None:
        for endpoint in queryset.select_related("account"):
            _rotate(request, endpoint=endpoint)
            self.log_change(request, endpoint, "Rotated the signing secret.")


def _webhook_url(request: HttpRequest, endpoint: WebhookEndpoint) -> str:
    return request.build_absolute_uri(endpoint.get_absolute_url())


def _adopt(target: WebhookEndpoint, source: WebhookEndpoint) -> None:
    for field in source._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))
    target._state.adding = False
    target._state.db = source._state.db


def _rotate(
    request: HttpRequest, *, endpoint: WebhookEndpoint, secret: str = ""
) -> None:
    """Rotate through the service and show the new secret, once.

    Messages are kept in the session (see MESSAGE_STORAGE), so the secret
    waits on the server, not in a cookie, until the next page shows it.
    """
    had_secret = bool(endpoint.secret)
    new_secret = endpoint_rotate_secret(endpoint=endpoint, secret=secret)
    logger.info(
        "admin rotated webhook secret endpoint_id=%s user_id=%s",
        endpoint.pk,
        request.user.pk,
    )
    if had_secret:
        old = (
            "The previous secret stays accepted until "
            f"{_when(endpoint.previous_secret_expires_at)}."
        )
    else:
        old = "The endpoint had no secret before."
    messages.success(
        request,
        format_html(
            "New signing secret for {}: <code>{}</code> Enter it at {} now: it is "
            "not shown again. {}",
            endpoint,
            new_secret,
            endpoint.get_provider_display(),
            old,
        ),
    )


# Webhook deliveries

# Columns the delivery list never shows, and the largest ones in the table.
_DELIVERY_LIST_DEFERRED = ["body", "headers", "traceback"]


class _DeliveryChangeList(ChangeList):
    def get_queryset(self, request, exclude_parameters=None):
        queryset = super().get_queryset(request, exclude_parameters)
        return queryset.defer(*_DELIVERY_LIST_DEFERRED)


class _EndpointFilter(admin.SimpleListFilter):
    """Endpoints by name, read with their accounts in one query."""

    title = "endpoint"
    parameter_name = "endpoint"

    def lookups(self, request, model_admin):
        endpoints = WebhookEndpoint.objects.select_related("account")
        return [(str(endpoint.pk), str(endpoint)) for endpoint in endpoints]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(endpoint_id=self.value())
        return queryset


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(_ProviderDataAdmin):
    list_display = [
        "id",
        "received_at",
        "endpoint",
        "provider",
        "event_type",
        "status",
        "response_status",
        "attempts",
    ]
    list_filter = ["status", _EndpointFilter, "event_type", "provider"]
    list_select_related = ["endpoint__account"]
    search_fields = ["event_id"]
    # The unfiltered total costs a second count of the largest table.
    show_full_result_count = False
    actions = ["process_again"]

    fieldsets = [
        (
            None,
            {
                "fields": [
                    "received_at",
                    "endpoint",
                    "provider",
                    "status",
                    "response_status",
                    "attempts",
                    "processed_at",
                    "event_type",
                    "event_id",
                ]
            },
        ),
        ("Request", {"fields": ["method", "path", "remote_addr", "headers_display"]}),
        ("Body", {"fields": ["body_note", "body_display"]}),
        ("Outcome", {"fields": ["error", "traceback_display", "booking_events"]}),
    ]
    readonly_fields = [
        "headers_display",
        "body_note",
        "body_display",
        "traceback_display",
        "booking_events",
    ]

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        # Every delivery is kept: it is the record of what a provider sent.
        return False

    def has_process_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(
            f"{self.opts.app_label}.change_{self.opts.model_name}"
        )

    def get_changelist(self, request: HttpRequest, **kwargs):
        return _DeliveryChangeList

    @admin.display(description="Headers")
    def headers_display(self, delivery: WebhookDelivery) -> str:
        return _pre(_pretty_json(delivery.headers))

    @admin.display(description="Size")
    def body_note(self, delivery: WebhookDelivery) -> str:
        if delivery.body_truncated:
            return (
                f"{delivery.body_size} bytes arrived; only the first "
                f"{len(delivery.body)} were kept."
            )
        return f"{delivery.body_size} bytes"

    @admin.display(description="Body")
    def body_display(self, delivery: WebhookDelivery) -> str:
        raw = bytes(delivery.body)
        if not raw:
            return "(empty)"
        try:
            text = _pretty_json(json.loads(raw))
        except (ValueError, RecursionError, TypeError):
            # Not JSON, cut short, nested too deeply, not even UTF-8, or
            # holding keys json cannot sort: show it as it came.
            text = raw.decode("utf-8", errors="replace")
        # JSON escapes can spell unpaired surrogates, which no page can carry.
        return _pre(text.encode("utf-8", errors="replace").decode())

    @admin.display(description="Traceback")
    def traceback_display(self, delivery: WebhookDelivery) -> str:
        return _pre(delivery.traceback) if delivery.traceback else "-"

    @admin.display(description="Booking events produced")
    def booking_events(self, delivery: WebhookDelivery) -> str:
        events = delivery.booking_events.select_related("booking")
        if not events:
            return "-"
        return format_html_join(
            mark_safe("<br>"),
            "{} of {}",
            ((_admin_link(event), _admin_link(event.booking)) for event in events),
        )

    @admin.action(description="Process again", permissions=["process"])
    def process_again(self, request: HttpRequest, queryset) -> None:
        ids = list(queryset.order_by("received_at", "id").values_list("pk", flat=True))
        outcomes: Counter[str] = Counter()
        for delivery_id in ids:
            logger.info(
                "admin reprocessing webhook delivery delivery_id=%s user_id=%s",
                delivery_id,
                request.user.pk,
            )
            try:
                status = delivery_process(delivery_id=delivery_id, force=True)
            except ProcessingFailed:
                # The error and traceback are on the delivery for the admin
                # to read; the count below points there.
                status = WebhookDelivery.Status.FAILED
            outcomes[status or "skipped (busy elsewhere or gone)"] += 1

        summary = ", ".join(f"{status} {count}" for status, count in outcomes.items())
        clean = set(outcomes) <= {
            WebhookDelivery.Status.PROCESSED,
            WebhookDelivery.Status.DUPLICATE,
            WebhookDelivery.Status.IGNORED,
        }
        noun = "delivery" if len(ids) == 1 else "deliveries"
        self.message_user(
            request,
            f"Processed {len(ids)} {noun} again. Resulting status: {summary}.",
            messages.SUCCESS if clean else messages.WARNING,
        )


# Customers, bookings and their events


class CustomerBookingInline(_ProviderDataInline):
    model = Booking
    fields = ["subject", "starts_at", "status", "provider_status", "owner_name"]
    readonly_fields = fields
    ordering = ["-starts_at"]


@admin.register(Customer)
class CustomerAdmin(_ProviderDataAdmin):
    inlines = [CustomerBookingInline]
    list_display = ["name", "email", "phone", "company", "account"]
    list_filter = ["account"]
    list_select_related = ["account"]
    search_fields = ["name", "email"]
    fields = [
        "account",
        "email",
        "name",
        "phone",
        "company",
        "created_at",
        "updated_at",
    ]
    readonly_fields = ["created_at", "updated_at"]


class BookingEventInline(_ProviderDataInline):
    model = BookingEvent
    fk_name = "booking"
    fields = [
        "kind",
        "provider_type",
        "occurred_at",
        "applied",
        "details",
        "delivery_link",
    ]
    readonly_fields = fields

    @admin.display(description="Delivery")
    def delivery_link(self, event: BookingEvent) -> str:
        if event.delivery_id is None:
            return "-"
        url = reverse(
            "admin:scheduling_webhookdelivery_change", args=[event.delivery_id]
        )
        return format_html('<a href="{}">delivery {}</a>', url, event.delivery_id)


@admin.register(Booking)
class BookingAdmin(_ProviderDataAdmin):
    inlines = [BookingEventInline]
    list_display = [
        "subject",
        "starts_at",
        "status",
        "provider_status",
        "customer",
        "owner_name",
        "account",
        "provider",
    ]
    list_filter = ["status", "provider", "account"]
    list_select_related = ["customer", "account"]
    search_fields = ["external_id", "subject", "customer__email", "customer__name"]
    date_hierarchy = "starts_at"

    fieldsets = [
        (
            None,
            {
                "fields": [
                    "subject",
                    "account",
                    "provider",
                    "external_id",
                    "status",
                    "provider_status",
                    "customer",
                    "replaces",
                ]
            },
        ),
        (
            "Time",
            {
                "fields": [
                    "starts_at",
                    "ends_at",
                    "duration_minutes",
                    "time_zone",
                    "booked_at",
                ]
            },
        ),
        (
            "Host",
            {
                "fields": [
                    "owner_name",
                    "owner_id",
                    "page_name",
                    "page_id",
                    "event_type_name",
                    "event_type_id",
                ]
            },
        ),
        (
            "Meeting",
            {
                "fields": [
                    "location",
                    "join_url",
                    "cancel_url",
                    "reschedule_url",
                    "cancel_reason",
                    "actioned_by",
                    "note",
                    "guests",
                    "custom_fields",
                    "payment",
                ]
            },
        ),
        (
            "Record",
            {
                "classes": ["collapse"],
                "fields": ["provider_data", "state_at", "created_at", "updated_at"],
            },
        ),
    ]
    readonly_fields = ["created_at", "updated_at"]

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        # Deleting a booking deletes its event log, and the log is what keeps
        # a redelivered event from being applied a second time.
        return False


@admin.register(BookingEvent)
class BookingEventAdmin(_ProviderDataAdmin):
    list_display = [
        "occurred_at",
        "kind",
        "provider_type",
        "booking",
        "account",
        "applied",
        "provider",
    ]
    list_filter = ["kind", "provider", "applied"]
    list_select_related = ["booking", "account"]
    search_fields = ["key", "booking__external_id"]
    fields = [
        "account",
        "booking",
        "delivery",
        "provider",
        "key",
        "kind",
        "provider_type",
        "occurred_at",
        "applied",
        "details",
        "created_at",
    ]
    readonly_fields = ["created_at"]

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        # The log's unique keys are what make applying an event idempotent.
        return False


# Follow-up subscriptions, deliveries and attempts register themselves.
from .followups import admin as followups_admin  # noqa: E402, F401
