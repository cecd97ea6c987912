"""HTTP requests to addresses an admin typed in, kept off internal networks.

Every request resolves its host first and refuses private, loopback,
link-local and other non-public addresses unless
``FOLLOWUPS_ALLOW_PRIVATE_ADDRESSES`` is on, and never follows a redirect.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import socket
import time
from urllib.parse import urlsplit

import requests
from django.conf import settings

EXCERPT_CHARS = 2000


class AddressRefused(Exception):
    """The URL points at an address follow-ups may not reach."""


@dataclasses.dataclass
class Exchange:
    """One request and what came back, for the attempt log."""

    request_summary: str
    status: int | None = None
    excerpt: str = ""
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    body: bytes = b""
    duration_ms: int = 0


def address_check(url: str) -> None:
    """Raise ``AddressRefused`` unless every address of the URL's host is allowed."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AddressRefused(f"not an http(s) URL: {parts.scheme or '?'}://")
    if settings.FOLLOWUPS_ALLOW_PRIVATE_ADDRESSES:
        return
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise requests.ConnectionError(f"cannot resolve {parts.hostname}") from error
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if not address.is_global:
            raise AddressRefused(
                f"{parts.hostname} resolves to {address}, a non-public address"
            )


def send(
    *,
    method: str,
    url: str,
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    auth=None,
    summary_body: str | None = None,
) -> Exchange:
    """Send one request; raise ``requests`` errors for timeouts and the like.

    ``summary_body`` replaces the body in the log when the body is not
    worth keeping whole.
    """
    # Limitation: the host is resolved here and again by the HTTP client, so
    # a DNS answer that changes in between (rebinding) is not caught. An
    # egress proxy that enforces the same rule closes that gap.
    address_check(url)
    shown = body.decode(errors="replace") if summary_body is None else summary_body
    exchange = Exchange(
        request_summary=f"{method} {_loggable(url)}\n{shown[:EXCERPT_CHARS]}"
    )
    started = time.monotonic()
    try:
        response = requests.request(
            method,
            url,
            data=body or None,
            headers=headers,
            auth=auth,
            timeout=settings.FOLLOWUPS_REQUEST_TIMEOUT,
            allow_redirects=False,
        )
    except requests.RequestException as error:
        # The message names the URL, whose path can be the credential.
        message = str(error).replace(urlsplit(url).path, _loggable_path(url))
        raise type(error)(message) from None
    finally:
        exchange.duration_ms = int((time.monotonic() - started) * 1000)
    exchange.status = response.status_code
    exchange.headers = dict(response.headers)
    exchange.body = response.content
    exchange.excerpt = response.text[:EXCERPT_CHARS]
    return exchange


def _loggable_path(url: str) -> str:
    """The URL's path, cut short when the path itself is a credential (Slack)."""
    path = urlsplit(url).path
    return "/services/…" if path.startswith("/services/") else path


def _loggable(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{_loggable_path(url)}"
