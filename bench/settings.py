"""Settings for the ingest benchmark: the project's, plus two reference views.

Everything the benchmark writes (SQLite file, broker folders, logs) lives in
``var/bench/`` unless ``BOOKINGSYNC_DATA_DIR`` says otherwise, so a run never
touches the development database or the development broker.
"""

import os
from pathlib import Path

os.environ.setdefault(
    "BOOKINGSYNC_DATA_DIR",
    str(Path(__file__).resolve().parent.parent / "var" / "bench"),
)
# Only signs the benchmark's own throwaway data; DEBUG stays off because it
# keeps every query in memory and would slow the server being measured.
os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")
# No follow-up credentials are stored here: a key made from SECRET_KEY will do.
os.environ.setdefault("FOLLOWUPS_DERIVE_KEY", "1")

from bookingsync.settings import *  # noqa: E402, F403

ROOT_URLCONF = "bench.urls"

# A queue name of its own, so that no development worker takes the messages.
CELERY_TASK_DEFAULT_QUEUE = os.environ.get(
    "CELERY_TASK_DEFAULT_QUEUE", "bookingsync-bench"
)

# The floor view checks signatures with this secret, which the benchmark also
# gives the real endpoint.
BENCH_SECRET = os.environ.get("BENCH_SECRET", "")
