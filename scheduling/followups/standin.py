"""A local HTTP server that answers like the services follow-ups talk to.

The tests and the demo point subscriptions at it instead of Slack, HubSpot,
Zendesk, Mailchimp or a customer's own API. It records every request and
answers as each service does, error bodies included; ``script`` makes the
next answers to a path fail on purpose.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import logging
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

logger = logging.getLogger(__name__)


@dataclasses.dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


@dataclasses.dataclass
class Answer:
    status: int
    body: bytes = b""
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    # Seconds to wait before answering, as a service that hangs does.
    delay: float = 0.0


def json_answer(status: int, data, content_type="application/json") -> Answer:
    return Answer(status, json.dumps(data).encode(), {"Content-Type": content_type})


# Error answers as each service documents them.
def hubspot_error(status: int, category: str, message: str) -> Answer:
    return json_answer(
        status,
        {
            "status": "error",
            "message": message,
            "correlationId": "3f1c9a52-0d2e-4b8a-9f61-5a7e2c4d8b10",
            "category": category,
        },
    )


def mailchimp_error(status: int, title: str, detail: str) -> Answer:
    return json_answer(
        status,
        {
            "type": "https://mailchimp.com/developer/marketing/docs/errors/",
            "title": title,
            "status": status,
            "detail": detail,
            "instance": "9d4e1c2b-7a3f-4e5d-8c6b-1a2f3e4d5c6b",
        },
        content_type="application/problem+json",
    )


def zendesk_error(status: int, error: str, description: str = "") -> Answer:
    data = {"error": error}
    if description:
        data["description"] = description
    return json_answer(status, data)


def slack_error(status: int, reason: str) -> Answer:
    return Answer(status, reason.encode(), {"Content-Type": "text/html"})


class StandIn:
    """Start with ``start()``; ``url`` is its base URL."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, on_request=None):
        self.requests: list[Recorded] = []
        self.on_request = on_request
        self._scripts: list[tuple[str, str, Answer]] = []
        self._lock = threading.Lock()
        self._ids = itertools.count(9001)
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            # Headers and body go out in two writes; without this, Nagle's
            # algorithm and delayed ACKs add 40 ms to every answer.
            disable_nagle_algorithm = True

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                record = Recorded(
                    self.command, self.path, dict(self.headers.items()), body
                )
                answer = stand_in._answer(record)
                if answer.delay:
                    time.sleep(answer.delay)
                if stand_in.on_request is not None:
                    stand_in.on_request(record)
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

            def log_message(self, format, *args):
                logger.debug("stand-in %s", format % args)

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> StandIn:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def script(self, method: str, path_pattern: str, *answers: Answer) -> None:
        """Answer the next requests matching ``path_pattern`` with ``answers``."""
        with self._lock:
            for answer in answers:
                self._scripts.append((method, path_pattern, answer))

    def received(self, path_pattern: str = "") -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if re.search(path_pattern, r.path)]

    def _answer(self, record: Recorded) -> Answer:
        with self._lock:
            self.requests.append(record)
            for index, (method, pattern, answer) in enumerate(self._scripts):
                if method == record.method and re.search(pattern, record.path):
                    del self._scripts[index]
                    return answer
        return self._service_answer(record)

    def _service_answer(self, record: Recorded) -> Answer:
        path, method = record.path, record.method
        if path.startswith("/services/"):
            return Answer(200, b"ok", {"Content-Type": "text/html"})
        if path == "/crm/v3/objects/contacts/batch/upsert":
            if not record.headers.get("Authorization", "").startswith("Bearer "):
                return hubspot_error(
                    401,
                    "INVALID_AUTHENTICATION",
                    "Authentication credentials not found.",
                )
            item = record.json()["inputs"][0]
            return json_answer(
                200,
                {
                    "status": "COMPLETE",
                    "results": [
                        {"id": "51", "properties": item["properties"], "new": True}
                    ],
                },
            )
        if path == "/crm/v3/objects/meetings" and method == "POST":
            data = record.json()
            return json_answer(
                201, {"id": str(next(self._ids)), "properties": data["properties"]}
            )
        match = re.fullmatch(r"/crm/v3/objects/meetings/(\w+)", path)
        if match and method == "PATCH":
            return json_answer(
                200, {"id": match[1], "properties": record.json()["properties"]}
            )
        if path == "/api/v2/users/create_or_update":
            if "Authorization" not in record.headers:
                return zendesk_error(401, "Couldn't authenticate you")
            user = record.json()["user"]
            return json_answer(201, {"user": {"id": next(self._ids), **user}})
        match = re.fullmatch(r"/3\.0/lists/(\w+)/members/(\w+)(/tags)?", path)
        if match:
            if match[3]:
                return Answer(204)
            data = record.json()
            return json_answer(
                200,
                {
                    "id": match[2],
                    "email_address": data["email_address"],
                    "status": data.get("status_if_new", "subscribed"),
                    "list_id": match[1],
                },
            )
        if method == "POST":
            # Anyone's own webhook receiver.
            return Answer(204)
        return Answer(404, b"not found", {"Content-Type": "text/plain"})
