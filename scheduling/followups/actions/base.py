"""What every action shares: its inputs, its result and how answers are read."""

from __future__ import annotations

import dataclasses
import datetime as dt
import email.utils
import json
import zoneinfo
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.utils import timezone

from ..outbound import Exchange

USER_AGENT = "BookingSync-FollowUps/1"
KIND_LABELS = {
    "scheduled": "New booking",
    "rescheduled": "Booking rescheduled",
    "reassigned": "Booking reassigned",
    "canceled": "Booking canceled",
    "reschedule_requested": "Reschedule requested",
    "completed": "Meeting completed",
    "no_show": "No-show",
    "no_show_undone": "No-show taken back",
}


@dataclasses.dataclass
class Job:
    """Everything an action needs to send one follow-up."""

    payload: dict
    webhook_id: str
    settings: dict
    credentials: dict
    # What an earlier follow-up of the same booking made remotely, if anything.
    previous_remote_ref: str = ""
    previous_secret_valid: bool = False
    account_name: str = ""

    @property
    def kind(self) -> str:
        return self.payload["type"].removeprefix("booking.")

    @property
    def booking(self) -> dict:
        return self.payload["data"]["booking"]

    @property
    def customer(self) -> dict | None:
        return self.payload["data"]["customer"]


@dataclasses.dataclass
class Outcome:
    """How a try ended. ``result`` is ok, retry, stop or gone (410)."""

    result: str
    exchanges: list[Exchange] = dataclasses.field(default_factory=list)
    error: str = ""
    retry_after: float | None = None
    remote_ref: str = ""

    @property
    def last(self) -> Exchange | None:
        return self.exchanges[-1] if self.exchanges else None


class BaseAction:
    """Validate settings and turn a ``Job`` into requests to one service."""

    # Credential names, each entered in a password field and stored encrypted.
    credential_fields: tuple[str, ...] = ()
    # Setting names and their help, shown in the admin.
    setting_fields: dict[str, str] = {}

    def clean(self, *, settings: dict, credentials: dict) -> dict:
        """Return the settings to store, or raise ``ValidationError``."""
        unknown = set(settings) - set(self.setting_fields)
        if unknown:
            raise ValidationError(
                f"Unknown settings for this action: {', '.join(sorted(unknown))}. "
                f"Known: {', '.join(self.setting_fields) or 'none'}."
            )
        return settings

    def perform(self, job: Job) -> Outcome:
        raise NotImplementedError


def require(mapping: dict, name: str, message: str) -> str:
    value = str(mapping.get(name) or "").strip()
    if not value:
        raise ValidationError(message)
    return value


def check_url(value: str, *, label: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError(f"{label} must be an http or https URL, not {value!r}.")
    return value.rstrip("/")


def json_body(data) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def outcome_for(exchange: Exchange, exchanges: list[Exchange]) -> Outcome:
    """Read an HTTP answer: 2xx succeeds, 410 is gone, most 4xx stop at once."""
    status = exchange.status or 0
    if 200 <= status < 300:
        return Outcome("ok", exchanges)
    error = f"HTTP {status}"
    if status == 410:
        return Outcome("gone", exchanges, error=error)
    if 400 <= status < 500 and status not in (408, 429):
        return Outcome("stop", exchanges, error=error)
    # 3xx (redirects are never followed), 408, 429 and 5xx: try again later.
    return Outcome(
        "retry",
        exchanges,
        error=error,
        retry_after=retry_after_seconds(exchange.headers.get("Retry-After", "")),
    )


def retry_after_seconds(value: str) -> float | None:
    """``Retry-After`` as seconds from now: delay-seconds or an HTTP date."""
    value = (value or "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return max(0.0, (moment - timezone.now()).total_seconds())


def local_start(job: Job) -> str:
    """The booking's start in its own time zone, readable."""
    starts_at = job.booking.get("starts_at")
    if not starts_at:
        return "time not known"
    moment = dt.datetime.fromisoformat(starts_at.replace("Z", "+00:00"))
    try:
        zone = zoneinfo.ZoneInfo(job.booking.get("time_zone") or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = dt.UTC
    local = moment.astimezone(zone)
    return f"{local:%a %d %b %Y, %H:%M} ({local.tzname()})"
