"""Follow-ups for the local demo: one subscription of each kind, all pointed
at a stand-in server that ``run_demo`` starts and that prints what it gets.
"""

from __future__ import annotations

import os

from .models import FollowUpSubscription
from .services import subscription_save

Action = FollowUpSubscription.Action


def demo_standin_port() -> int:
    return int(os.environ.get("FOLLOWUPS_DEMO_PORT", "8025"))


def demo_standin_url() -> str:
    return f"http://127.0.0.1:{demo_standin_port()}"


def _demo_subscriptions(base: str) -> list[tuple[str, str, list[str], dict, dict]]:
    """(name, action, events, settings, credentials) of each demo subscription."""
    return [
        (
            "Demo: our own API",
            Action.WEBHOOK,
            ["*"],
            {"url": f"{base}/hooks/bookings"},
            {},
        ),
        (
            "Demo: #bookings in Slack",
            Action.SLACK,
            ["*"],
            {},
            {"webhook_url": f"{base}/services/TDEMO/BDEMO/demo-slack-hook"},
        ),
        (
            "Demo: HubSpot CRM",
            Action.HUBSPOT,
            ["*"],
            {"base_url": base},
            {"access_token": "demo-hubspot-access-token"},
        ),
        (
            "Demo: Zendesk help desk",
            Action.ZENDESK,
            ["scheduled", "rescheduled"],
            {"base_url": base, "agent_email": "agent@demo.example"},
            {"api_token": "demo-zendesk-api-token"},
        ),
        (
            "Demo: Mailchimp win-back",
            Action.MAILCHIMP,
            ["canceled", "no_show", "completed"],
            {"list_id": "demolist01", "base_url": base},
            {"api_key": "demo-mailchimp-key-us1"},
        ),
        (
            "Demo: survey after a meeting",
            Action.EMAIL,
            ["completed"],
            {
                "subject": "How was {{ booking.subject }}, {{ customer.name }}?",
                "body": (
                    "Hello {{ customer.name }},\n\nThank you for meeting "
                    "{{ account }} on {{ starts }}. Two minutes of your time "
                    "would help us: reply with a score from 1 to 10.\n"
                ),
            },
            {},
        ),
    ]


def demo_subscriptions_ensure(*, account) -> int:
    """Create the demo subscriptions that are missing; return how many were made."""
    made = 0
    for name, action, events, settings, credentials in _demo_subscriptions(
        demo_standin_url()
    ):
        if account.subscriptions.filter(name=name).exists():
            continue
        subscription = FollowUpSubscription(
            account=account, name=name, action=action, events=events, settings=settings
        )
        subscription_save(subscription=subscription, credentials=credentials)
        made += 1
    return made
