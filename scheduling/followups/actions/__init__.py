"""One module per service a follow-up can be sent to."""

from __future__ import annotations

from ..models import Action
from .base import BaseAction, Job, Outcome
from .email import EmailAction
from .hubspot import HubSpotAction
from .mailchimp import MailchimpAction
from .slack import SlackAction
from .webhook import WebhookAction
from .zendesk import ZendeskAction

ACTIONS: dict[str, BaseAction] = {
    Action.WEBHOOK: WebhookAction(),
    Action.SLACK: SlackAction(),
    Action.HUBSPOT: HubSpotAction(),
    Action.ZENDESK: ZendeskAction(),
    Action.MAILCHIMP: MailchimpAction(),
    Action.EMAIL: EmailAction(),
}

__all__ = ["ACTIONS", "BaseAction", "Job", "Outcome"]
