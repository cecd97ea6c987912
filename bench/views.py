"""Reference views the webhook endpoint is measured against.

``bare`` is the most Django can do for a POST; ``floor`` is the least a
durable receiver can do: check the OnceHub signature and store the body with
one SQL statement. Both pass through the project's whole middleware stack,
like the real endpoint.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

# Created with raw SQL by bench/ingest.py, which knows each backend's types.
FLOOR_TABLE = "bench_floor_delivery"


@csrf_exempt
def bare(request: HttpRequest) -> JsonResponse:
    if request.method != "POST":
        return JsonResponse({"error": "POST only"}, status=405)
    return JsonResponse({"ok": True})


@csrf_exempt
def floor(request: HttpRequest) -> JsonResponse:
    if request.method != "POST":
        return JsonResponse({"error": "POST only"}, status=405)
    body = request.body
    if not _signature_ok(request.headers.get("Oncehub-Signature", ""), body):
        return JsonResponse({"error": "invalid signature"}, status=401)

    # Autocommit: the row is durable once the statement returns.
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {FLOOR_TABLE} (body) VALUES (%s)", [body])
    return JsonResponse({"status": "accepted"}, status=202)


def _signature_ok(header: str, body: bytes) -> bool:
    """Check ``t=<unix>,s=<hex>`` as OnceHub signs, with the bench's secret."""
    parts = dict(element.strip().partition("=")[::2] for element in header.split(","))
    timestamp, signature = parts.get("t", ""), parts.get("s", "")
    if not settings.BENCH_SECRET or not timestamp.isdigit() or not signature:
        return False
    if abs(time.time() - int(timestamp)) > settings.WEBHOOK_SIGNATURE_MAX_AGE_SECONDS:
        return False
    expected = hmac.new(
        settings.BENCH_SECRET.encode(),
        timestamp.encode() + b"." + body,
        hashlib.sha256,
    ).hexdigest()
    return hmac.compare_digest(expected, signature.lower())
