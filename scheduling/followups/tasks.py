"""Celery tasks for follow-ups: thin adapters that take ids."""

from __future__ import annotations

from celery import shared_task

from .services import deliveries_send_due, delivery_attempt


@shared_task
def deliver_followup(delivery_id: int, manual: bool = False) -> str:
    """Make one attempt if it is still due; a duplicate message sends nothing."""
    return delivery_attempt(delivery_id=delivery_id, manual=manual)


@shared_task
def send_due_followups() -> int:
    """Send the deliveries whose next try has come, and asked-for retries."""
    return deliveries_send_due()
