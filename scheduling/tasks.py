"""Celery tasks: thin adapters that take ids and call the delivery services."""

from __future__ import annotations

import logging

from celery import shared_task

from .deliveries import ProcessingFailed, deliveries_sweep, delivery_process

logger = logging.getLogger(__name__)

# Short waits between tries, all far below the broker's visibility timeout.
_RETRY_COUNTDOWNS = (5, 30, 120, 600, 600)


@shared_task(bind=True, max_retries=len(_RETRY_COUNTDOWNS))
def process_webhook_delivery(self, delivery_id: int) -> str:
    """Process one stored delivery; safe to run twice."""
    try:
        return delivery_process(delivery_id=delivery_id)
    except ProcessingFailed as error:
        countdown = _RETRY_COUNTDOWNS[
            min(self.request.retries, len(_RETRY_COUNTDOWNS) - 1)
        ]
        logger.info(
            "retrying webhook delivery delivery_id=%s in %ss", delivery_id, countdown
        )
        raise self.retry(exc=error, countdown=countdown) from error


@shared_task
def sweep_webhook_deliveries() -> int:
    """Process deliveries whose queue message never arrived."""
    return deliveries_sweep()


# Registers the follow-up tasks with the worker.
from .followups import tasks as followup_tasks  # noqa: E402, F401
