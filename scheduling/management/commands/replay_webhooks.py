"""Post the bundled provider sample bodies to a running server, signed.

The bodies go through the real HTTP endpoints of an account, one per
provider, so they are received, stored and processed exactly as the
providers' own deliveries would be. Samples live in
``scheduling/samples/<provider name>/``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import time
from pathlib import Path
from typing import Any

import requests
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from scheduling import providers
from scheduling.models import Account
from scheduling.providers.base import Ignored, PayloadError

SAMPLES_ROOT = Path(settings.BASE_DIR) / "scheduling" / "samples"

# A date with a time of day, as providers write them: the date is group 1 and
# everything after it (time, fraction, offset) is group 2, kept as written.
_ISO_TIME = re.compile(
    r"^(\d{4}-\d{2}-\d{2})(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)$"
)


@dataclasses.dataclass
class Sample:
    name: str
    body: bytes
    envelope: dict[str, Any]
    created_at: dt.datetime


def samples_load(folder: Path) -> list[Sample]:
    """Read every sample of the provider ``folder`` is named after, oldest first."""
    provider = providers.get(folder.name)
    if provider is None:
        raise CommandError(f"{folder} is not named after a provider")
    samples = []
    for path in sorted(folder.glob("*.json")):
        body = path.read_bytes()
        try:
            event = provider.parse(body)
        except PayloadError as error:
            raise CommandError(f"{path.name} does not parse: {error}") from None
        if isinstance(event, Ignored):
            raise CommandError(f"{path.name} is not a booking event")
        samples.append(Sample(path.name, body, json.loads(body), event.occurred_at))
    return sorted(samples, key=lambda sample: (sample.created_at, sample.name))


def weeks_to_now(samples: list[Sample], *, now: dt.datetime) -> int:
    """Return the whole weeks that bring the newest event into the past week.

    The events then all lie in the past, as webhooks do, while the bookings
    they describe fall within days of ``now`` on both sides.
    """
    newest = max(sample.created_at for sample in samples)
    return (now - newest) // dt.timedelta(weeks=1)


def shift_times(value: Any, *, days: int) -> Any:
    """Return ``value`` with the date of every ISO 8601 time moved by ``days``.

    Only the date is rewritten, so the time of day and the offset stay exactly
    as written; with whole weeks the weekday stays too.
    """
    if isinstance(value, dict):
        return {key: shift_times(item, days=days) for key, item in value.items()}
    if isinstance(value, list):
        return [shift_times(item, days=days) for item in value]
    if isinstance(value, str):
        match = _ISO_TIME.match(value)
        if match:
            try:
                day = dt.date.fromisoformat(match[1])
            except ValueError:
                return value
            return (day + dt.timedelta(days=days)).isoformat() + match[2]
    return value


class Command(BaseCommand):
    help = (
        "Post the bundled sample webhooks of each provider, in the order of "
        "their events, to the account's endpoint for that provider on a running "
        "server, signed with the endpoint's secret."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--url",
            required=True,
            help="base URL of the server, e.g. http://127.0.0.1:8000",
        )
        parser.add_argument("--account", default="demo", help="account slug")
        parser.add_argument(
            "--shift-to-now",
            action="store_true",
            help="move every time in the bodies by whole weeks so that the "
            "bookings fall around today",
        )
        parser.add_argument(
            "--provider",
            action="append",
            choices=sorted(providers.PROVIDERS),
            help="replay only this provider's samples (repeatable; default: "
            "every provider with samples and an active endpoint)",
        )
        parser.add_argument(
            "--samples",
            type=Path,
            default=SAMPLES_ROOT,
            help="folder holding a folder of sample bodies per provider",
        )
        parser.add_argument(
            "--timeout", type=float, default=10.0, help="seconds per post"
        )

    def handle(self, *args, **options):
        account = Account.objects.filter(slug=options["account"]).first()
        if account is None:
            raise CommandError(f"no account with slug {options['account']!r}")
        names = options["provider"] or [
            name
            for name in providers.PROVIDERS
            if (options["samples"] / name).is_dir()
            and account.endpoints.filter(provider=name, is_active=True).exists()
        ]
        if not names:
            raise CommandError(f"account {account.slug} has no endpoint with samples")

        posted = failures = 0
        for name in names:
            count, failed = self._replay(account, name, options)
            posted, failures = posted + count, failures + failed
        if failures:
            raise CommandError(f"{failures} of {posted} posts were not accepted")

    def _replay(self, account: Account, name: str, options) -> tuple[int, int]:
        """Post one provider's samples; return how many went and how many failed."""
        provider = providers.get(name)
        endpoint = account.endpoints.filter(provider=name, is_active=True).first()
        if endpoint is None:
            raise CommandError(
                f"account {account.slug} has no active {provider.LABEL} endpoint"
            )
        samples = samples_load(options["samples"] / name)
        if not samples:
            raise CommandError(f"no *.json samples in {options['samples'] / name}")

        if options["shift_to_now"]:
            weeks = weeks_to_now(samples, now=timezone.now())
            self.stdout.write(
                f"Shifting every time in the {provider.LABEL} samples by {weeks} weeks."
            )
            for sample in samples:
                sample.envelope = shift_times(sample.envelope, days=7 * weeks)
                sample.body = json.dumps(
                    sample.envelope, indent=2, ensure_ascii=False
                ).encode()

        url = options["url"].rstrip("/") + endpoint.get_absolute_url()
        self.stdout.write(f"Posting {len(samples)} {provider.LABEL} samples to {url}")
        failures = 0
        for sample in samples:
            headers = {"Content-Type": "application/json"}
            if endpoint.secret:
                headers.update(
                    provider.signature_headers(
                        secret=endpoint.secret,
                        body=sample.body,
                        timestamp=int(time.time()),
                    )
                )
            event = provider.parse(sample.body)
            label = f"{event.provider_type} {event.key} ({sample.name})"
            try:
                response = requests.post(
                    url, data=sample.body, headers=headers, timeout=options["timeout"]
                )
            except requests.RequestException as error:
                failures += 1
                self.stdout.write(f"  ---  {label}: {error}")
                continue
            if not 200 <= response.status_code < 300:
                failures += 1
            self.stdout.write(f"  {response.status_code}  {label}")
        return len(samples), failures
