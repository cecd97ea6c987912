"""Settings for the test suite: the project's settings with a throwaway key.

The key below only signs test sessions; it is not a secret.
"""

import os

os.environ.setdefault("SECRET_KEY", "test-suite-only-not-a-secret")
# Follow-up credentials in tests are encrypted with a key made from SECRET_KEY.
os.environ.setdefault("FOLLOWUPS_DERIVE_KEY", "1")

from bookingsync.settings import *  # noqa: E402, F403

# Keep each run's messages apart from a demo worker or another run sharing
# the broker. A worker started by the suite is told this queue explicitly.
CELERY_TASK_DEFAULT_QUEUE = os.environ.get(
    "CELERY_TASK_DEFAULT_QUEUE", f"bookingsync-test-{os.getpid()}"
)
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Each run gets its own SQLite test file, so that two runs never collide.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"]["NAME"] = str(  # noqa: F405
        DATA_DIR / f"test-{os.getpid()}.sqlite3"  # noqa: F405
    )
