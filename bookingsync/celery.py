"""The Celery application: settings come from Django's, prefixed CELERY_."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bookingsync.settings")

app = Celery("bookingsync")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Celery's Django fixup closes the database connection around every task
# unless told to reuse it; reconnecting to PostgreSQL can cost as much as the
# task itself. Connections are still health-checked (CONN_HEALTH_CHECKS).
app.conf["CELERY_DB_REUSE_MAX"] = 100
