"""Settings for the test suite: the project's settings with a throwaway key.

The key below only signs test sessions; it is not a secret.
"""

import os

os.environ.setdefault("SECRET_KEY", "test-suite-only-not-a-secret")

from bookingsync.settings import *  # noqa: E402, F403

# Keep the suite's messages apart from a demo worker sharing the broker.
CELERY_TASK_DEFAULT_QUEUE = os.environ.get(  # noqa: F405
    "CELERY_TASK_DEFAULT_QUEUE", "bookingsync-test"
)
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
