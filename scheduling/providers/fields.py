"""Reading helpers shared by the provider parsers: JSON, text, times, digests.

Nothing here knows a provider's field names; each parser decides what to read.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import zoneinfo
from collections.abc import Iterable
from typing import Any

from .base import PayloadError, SignatureError


def _refuse_constant(name: str):
    # Python's json module reads NaN and Infinity, which are not JSON and
    # which no database column or JSON store will take.
    raise PayloadError(f"body is not valid JSON: {name} is not a JSON number")


def load_object(body: bytes) -> dict[str, Any]:
    """Decode a body that must be a JSON object, or raise ``PayloadError``."""
    try:
        data = json.loads(body.decode("utf-8"), parse_constant=_refuse_constant)
    except UnicodeDecodeError as error:
        raise PayloadError(f"body is not valid UTF-8: {error}") from None
    except json.JSONDecodeError as error:
        raise PayloadError(f"body is not valid JSON: {error}") from None
    except RecursionError:
        raise PayloadError("body is not valid JSON: nested too deeply") from None
    except ValueError as error:
        # Integers with thousands of digits, for one.
        raise PayloadError(f"body is not valid JSON: {error}") from None
    if not isinstance(data, dict):
        raise PayloadError("body is not a JSON object")
    return data


def text(value: Any) -> str:
    """Return a stripped string, or ``""`` for null, objects and lists."""
    if value is None or isinstance(value, (dict, list)):
        return ""
    return str(value).strip()


def mapping(value: Any) -> dict[str, Any]:
    """Return ``value`` if it is an object, else an empty one (null, a string)."""
    return value if isinstance(value, dict) else {}


def items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def time(value: Any) -> dt.datetime | None:
    """Parse an ISO 8601 time; a time without an offset is taken as UTC."""
    written = text(value)
    if not written:
        return None
    try:
        moment = dt.datetime.fromisoformat(written)
    except ValueError:
        raise PayloadError(f"not an ISO 8601 time: {written[:40]!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment


def minutes_between(start: dt.datetime | None, end: dt.datetime | None) -> int | None:
    if start is None or end is None:
        return None
    if end < start:
        raise PayloadError("the booking ends before it starts")
    return int((end - start).total_seconds() // 60)


def time_zone(value: Any) -> str:
    """Return an IANA time zone name, or ``""`` for anything else."""
    name = text(value)
    if not name:
        return ""
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return ""
    return name


def hmac_hex(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def matches_any(*, expected: Iterable[str], given: Iterable[str]) -> bool:
    """Whether any given signature equals any expected one, in constant time.

    Every pair is compared, so the time taken says nothing about which
    secret or which candidate came close.
    """
    # Bytes, not text: compare_digest refuses text with non-ASCII characters,
    # and a header may carry anything.
    given = [candidate.lower().encode("utf-8", "replace") for candidate in given]
    matched = False
    for digest in expected:
        for candidate in given:
            matched |= hmac.compare_digest(digest.encode(), candidate)
    return matched


def verify_stamped(
    *,
    header: str,
    value: str,
    signature_name: str,
    body: bytes,
    secrets: Iterable[str],
    now: float,
    max_age: int,
    future_skew: int,
) -> None:
    """Check a ``t=<unix seconds>,<name>=<hex>`` header over ``"<t>.<body>"``.

    The header may list several signatures (as during a provider's own key
    rotation); one matching one of ``secrets`` is enough. Raise
    ``SignatureError`` naming ``header`` otherwise.
    """
    if not value:
        raise SignatureError(f"missing {header} header")
    timestamp, candidates = "", []
    for element in value.split(","):
        key, sep, part = element.strip().partition("=")
        if not sep:
            continue
        if key == "t" and not timestamp:
            timestamp = part
        elif key == signature_name and part:
            candidates.append(part)
    # isdigit() alone also admits digits such as "²" that int() refuses.
    stamp_ok = timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12
    if not stamp_ok or not candidates:
        raise SignatureError(f"malformed {header} header")

    age = now - int(timestamp)
    if age > max_age:
        raise SignatureError(f"signature timestamp is {int(age)} seconds old")
    if age < -future_skew:
        raise SignatureError("signature timestamp is in the future")

    message = timestamp.encode() + b"." + body
    expected = [hmac_hex(secret, message) for secret in secrets]
    if not matches_any(expected=expected, given=candidates):
        raise SignatureError("signature does not match")


def derived_key(*parts: str) -> str:
    """A deduplication key for providers whose envelope has no event id.

    The same parts always give the same key, so a redelivery of the same
    event is recognised however many times it arrives.
    """
    material = "|".join(parts)
    return "derived:" + hashlib.sha256(material.encode()).hexdigest()[:32]
