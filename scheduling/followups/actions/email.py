"""An email to the customer, from templates the admin edits.

``subject`` and ``body`` are Django templates that see ``booking``,
``customer``, ``event``, ``kind`` and ``account``. Mail goes through
Django's email backend; a refused recipient stops, a server that cannot be
reached is tried again.
"""

from __future__ import annotations

import smtplib
import time

from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.template import Context, Engine, TemplateSyntaxError

from ..outbound import EXCERPT_CHARS, Exchange
from .base import BaseAction, Job, Outcome, local_start

_ENGINE = Engine(autoescape=False)


def render(template: str, job: Job) -> str:
    data = job.payload["data"]
    context = Context(
        {
            "booking": data["booking"],
            "customer": data["customer"] or {},
            "event": data["event"],
            "kind": job.kind,
            "starts": local_start(job),
            "account": job.account_name,
        }
    )
    return _ENGINE.from_string(template).render(context)


class EmailAction(BaseAction):
    setting_fields = {
        "subject": "Subject template, e.g. Thanks for meeting us, {{ customer.name }}",
        "body": "Body template; sees booking, customer, event, kind, starts, account.",
        "from_email": "Sender address (default DEFAULT_FROM_EMAIL).",
    }

    def clean(self, *, settings: dict, credentials: dict) -> dict:
        settings = super().clean(settings=settings, credentials=credentials)
        for name in ("subject", "body"):
            template = str(settings.get(name) or "")
            if not template.strip():
                raise ValidationError(f'An email needs a "{name}" template.')
            try:
                _ENGINE.from_string(template)
            except TemplateSyntaxError as error:
                raise ValidationError(
                    f'The "{name}" template is invalid: {error}'
                ) from error
        return settings

    def perform(self, job: Job) -> Outcome:
        customer = job.customer or {}
        if not customer.get("email"):
            return Outcome("stop", error="the booking has no customer email")
        subject = " ".join(render(job.settings["subject"], job).split())
        body = render(job.settings["body"], job)
        message = EmailMessage(
            subject=subject,
            body=body,
            from_email=job.settings.get("from_email") or None,
            to=[customer["email"]],
        )
        exchange = Exchange(
            request_summary=f"email to {customer['email']}\nSubject: {subject}\n\n"
            f"{body[:EXCERPT_CHARS]}"
        )
        started = time.monotonic()
        try:
            message.send()
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as error:
            outcome = Outcome("stop", [exchange], error=f"refused: {error}")
        except (smtplib.SMTPException, OSError) as error:
            error_text = f"{type(error).__name__}: {error}"
            outcome = Outcome("retry", [exchange], error=error_text)
        else:
            exchange.excerpt = "accepted by the mail server"
            outcome = Outcome("ok", [exchange])
        exchange.duration_ms = int((time.monotonic() - started) * 1000)
        return outcome
