"""Follow-ups in the admin: subscriptions, their deliveries and attempts.

Credentials are entered in password fields and only ever shown back as
their last four characters; a webhook's signing secret is shown once, when
it is made or rotated. Actions call the services, which do the work.
"""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from .actions import ACTIONS
from .credentials import CredentialsUnreadable, credentials_decrypt, masked
from .models import (
    EVENT_CHOICES,
    FollowUpAttempt,
    FollowUpDelivery,
    FollowUpSubscription,
)
from .services import (
    deliveries_retry,
    subscription_rotate_secret,
    subscription_save,
    subscription_send_test,
)

# Every credential any action takes, each a password field in the form.
CREDENTIAL_LABELS = {
    "webhook_url": "Slack incoming webhook URL",
    "access_token": "HubSpot private app access token",
    "api_token": "Zendesk API token",
    "api_key": "Mailchimp API key",
}


def _settings_help() -> str:
    lines = []
    for name, action in ACTIONS.items():
        keys = ", ".join(
            f"{key}: {text}" for key, text in action.setting_fields.items()
        )
        lines.append(f"{name}: {keys or 'none'}")
    return "A JSON object. " + " | ".join(lines)


def _credential_field(name: str) -> forms.CharField:
    return forms.CharField(
        label=CREDENTIAL_LABELS[name],
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Stored encrypted. Leave blank to keep the current value.",
    )


class SubscriptionForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        choices=EVENT_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        help_text="Every booking event includes kinds added later.",
    )
    settings = forms.JSONField(
        required=False,
        initial=dict,
        widget=forms.Textarea(attrs={"rows": 6, "cols": 80}),
        help_text=_settings_help(),
    )

    class Meta:
        model = FollowUpSubscription
        fields = [
            "account",
            "name",
            "is_active",
            "events",
            "owner_id",
            "page_id",
            "event_type_id",
            "action",
            "settings",
        ]

    webhook_url = _credential_field("webhook_url")
    access_token = _credential_field("access_token")
    api_token = _credential_field("api_token")
    api_key = _credential_field("api_key")

    def entered_credentials(self) -> dict[str, str]:
        return {
            name: self.cleaned_data.get(name, "").strip()
            for name in CREDENTIAL_LABELS
            if self.cleaned_data.get(name, "").strip()
        }

    def clean(self):
        cleaned = super().clean()
        action = ACTIONS.get(cleaned.get("action") or "")
        if action is None:
            return cleaned
        try:
            stored = credentials_decrypt(token=self.instance.credentials)
        except CredentialsUnreadable as error:
            stored = {}
            self.add_error(None, f"{error}; enter the credentials again.")
        merged = {**stored, **self.entered_credentials()}
        if self.instance.action and self.instance.action != cleaned["action"]:
            merged = self.entered_credentials()
        if cleaned["action"] == "webhook":
            merged.setdefault("secret", "generated on save")
        try:
            cleaned["settings"] = action.clean(
                settings=dict(cleaned.get("settings") or {}), credentials=merged
            )
        except ValidationError as error:
            self.add_error("settings", error)
        return cleaned


@admin.register(FollowUpSubscription)
class FollowUpSubscriptionAdmin(admin.ModelAdmin):
    form = SubscriptionForm
    list_display = [
        "name",
        "account",
        "action",
        "is_active",
        "event_list",
        "paused_reason",
        "deliveries_link",
    ]
    list_filter = ["action", "is_active", "account"]
    list_select_related = ["account"]
    search_fields = ["name", "account__name"]
    readonly_fields = ["credential_state", "paused_at", "failures_in_a_row"]
    actions = ["send_test_event", "rotate_signing_secret", "pause", "resume"]

    def get_fieldsets(self, request: HttpRequest, obj=None):
        return [
            (None, {"fields": ["account", "name", "is_active", "events"]}),
            (
                "Only bookings of (blank: all)",
                {"fields": ["owner_id", "page_id", "event_type_id"]},
            ),
            ("Action", {"fields": ["action", "settings"]}),
            (
                "Credentials",
                {"fields": ["credential_state", *CREDENTIAL_LABELS]},
            ),
            ("State", {"fields": ["paused_at", "failures_in_a_row"]}),
        ]

    @admin.display(description="Events")
    def event_list(self, subscription: FollowUpSubscription) -> str:
        labels = dict(EVENT_CHOICES)
        return ", ".join(labels.get(kind, kind) for kind in subscription.events)

    @admin.display(description="Deliveries")
    def deliveries_link(self, subscription: FollowUpSubscription) -> str:
        url = reverse("admin:scheduling_followupdelivery_changelist")
        return format_html(
            '<a href="{}?subscription__id__exact={}">deliveries</a>',
            url,
            subscription.pk,
        )

    @admin.display(description="Stored credentials")
    def credential_state(self, subscription: FollowUpSubscription) -> str:
        try:
            values = credentials_decrypt(token=subscription.credentials)
        except CredentialsUnreadable as error:
            return str(error)
        if not values:
            return "None"
        return format_html_join(
            ", ",
            "{} {}",
            (
                (name.replace("_", " "), masked(value))
                for name, value in sorted(values.items())
            ),
        )

    def save_model(self, request, obj, form, change) -> None:
        if change and "action" in form.changed_data:
            obj.credentials = ""
        secret = subscription_save(
            subscription=obj, credentials=form.entered_credentials()
        )
        if secret:
            _show_secret_once(request, obj, secret)

    @admin.action(description="Send a test event", permissions=["change"])
    def send_test_event(self, request: HttpRequest, queryset: QuerySet):
        results = []
        for subscription in queryset.select_related("account"):
            outcome = subscription_send_test(subscription=subscription)
            results.append((subscription, outcome))
        return TemplateResponse(
            request,
            "admin/scheduling/followup_test_results.html",
            {
                **self.admin_site.each_context(request),
                "title": "Test events",
                "results": results,
                "opts": self.model._meta,
            },
        )

    @admin.action(
        description="Rotate the webhook signing secret", permissions=["change"]
    )
    def rotate_signing_secret(self, request: HttpRequest, queryset: QuerySet) -> None:
        for subscription in queryset:
            if subscription.action != FollowUpSubscription.Action.WEBHOOK:
                messages.warning(
                    request, f"{subscription.name} is not a webhook: nothing to rotate."
                )
                continue
            secret = subscription_rotate_secret(subscription=subscription)
            _show_secret_once(request, subscription, secret)
            self.log_change(request, subscription, "Rotated the signing secret.")

    @admin.action(description="Pause", permissions=["change"])
    def pause(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = queryset.update(
            is_active=False,
            paused_reason="paused by an admin",
            paused_at=timezone.now(),
        )
        messages.success(request, f"Paused {count} subscription(s).")

    @admin.action(description="Resume", permissions=["change"])
    def resume(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = queryset.update(
            is_active=True, paused_reason="", paused_at=None, failures_in_a_row=0
        )
        messages.success(
            request,
            f"Resumed {count} subscription(s); their pending deliveries go out now.",
        )


def _show_secret_once(request, subscription, secret: str) -> None:
    messages.success(
        request,
        format_html(
            "Signing secret of {}: <code>{}</code> Give it to the receiver now: "
            "it is not shown again.",
            subscription.name,
            secret,
        ),
    )


class AttemptInline(admin.TabularInline):
    model = FollowUpAttempt
    extra = 0
    can_delete = False
    fields = [
        "number",
        "manual",
        "started_at",
        "duration_ms",
        "response_status",
        "error",
        "request",
        "answer",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="Request")
    def request(self, attempt: FollowUpAttempt) -> str:
        return format_html(
            "<pre style='white-space: pre-wrap'>{}</pre>", attempt.request_summary
        )

    @admin.display(description="Answer")
    def answer(self, attempt: FollowUpAttempt) -> str:
        return format_html(
            "<pre style='white-space: pre-wrap'>{}</pre>", attempt.response_excerpt
        )


@admin.register(FollowUpDelivery)
class FollowUpDeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "subscription",
        "kind",
        "status",
        "attempt_count",
        "next_attempt_at",
        "created_at",
        "last_error",
    ]
    list_filter = ["status", "kind", "subscription__action", "subscription"]
    list_select_related = ["subscription"]
    search_fields = ["=id", "=booking__external_id"]
    # Counting every row of a large table on each page is what makes a
    # long list slow; the paginator shows "more" instead.
    show_full_result_count = False
    actions = ["retry"]
    inlines = [AttemptInline]
    fields = [
        "subscription",
        "booking_event",
        "booking",
        "kind",
        "status",
        "webhook_id",
        "next_attempt_at",
        "attempt_count",
        "manual_retries_pending",
        "remote_ref",
        "last_error",
        "created_at",
        "finished_at",
        "payload_pretty",
    ]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).defer("payload")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        # The rows are the record of what was sent: viewing only.
        return False

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("scheduling.change_followupsubscription")

    @admin.display(description="Payload")
    def payload_pretty(self, delivery: FollowUpDelivery) -> str:
        return format_html(
            "<pre style='white-space: pre-wrap'>{}</pre>",
            json.dumps(delivery.payload, indent=2, ensure_ascii=False),
        )

    @admin.action(description="Retry selected deliveries now", permissions=["retry"])
    def retry(self, request: HttpRequest, queryset: QuerySet) -> None:
        ids = list(queryset.values_list("id", flat=True))
        deliveries_retry(delivery_ids=ids)
        messages.success(
            request,
            f"Queued one more attempt for {len(ids)} deliver"
            f"{'y' if len(ids) == 1 else 'ies'}; each shows in its attempts.",
        )


@admin.register(FollowUpAttempt)
class FollowUpAttemptAdmin(admin.ModelAdmin):
    list_display = [
        "delivery",
        "number",
        "manual",
        "succeeded",
        "response_status",
        "duration_ms",
        "started_at",
        "error",
    ]
    list_filter = ["succeeded", "manual", "delivery__subscription"]
    list_select_related = ["delivery"]
    show_full_result_count = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
