"""Measure how fast OnceHub deliveries are accepted, then how fast processed.

Run by hand from the project root, on SQLite or on a PostgreSQL database of
its own (created and dropped here; its name must contain "bench")::

    .venv/bin/python bench/ingest.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bookingsync_bench \\
        .venv/bin/python bench/ingest.py

One gunicorn server (settings ``bench.settings``) serves three targets, loaded
in turn by the same client processes over persistent loopback connections:

- ``ingest``: the real webhook endpoint, which stores the delivery and queues
  it on the bench's filesystem broker (nobody consumes while it is measured);
- ``bare``: a Django view that only answers JSON, the framework's ceiling;
- ``floor``: a view that checks the signature and inserts the body with one
  SQL statement, the least any durable receiver does.

Every request carries its own event id and a fresh signature. After the HTTP
phase one Celery worker (solo pool) processes the stored deliveries; then
``delivery_process`` runs in-process to count SQL queries per event, for new
bookings and for a booking with a long history. Each step of the real
endpoint is then timed in-process, one call at a time, to show where its time
goes. The last line is the ratio of the real endpoint's rate to the floor's.

Durations, counts and concurrency come from ``BENCH_*`` variables (see the
constants below); ``BENCH_KEEP_DB=1`` keeps the PostgreSQL database for a
look afterwards. Logs of the server, the worker and this process are in
``var/bench/logs/``.
"""

from __future__ import annotations

import datetime as dt
import http.client
import itertools
import json
import multiprocessing
import os
import queue
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import uuid
from dataclasses import dataclass
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
# Run as a file, Python puts only bench/ on the path.
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

from scheduling.providers.oncehub import sign  # noqa: E402

DATA_DIR = BASE_DIR / "var" / "bench"
SQLITE_PATH = DATA_DIR / "bookingsync.sqlite3"
BROKER_OUT = DATA_DIR / "broker" / "out"
LOG_DIR = DATA_DIR / "logs"
BIN = Path(sys.executable).parent
SAMPLE = BASE_DIR / "scheduling" / "samples" / "oncehub" / "booking_scheduled.json"
HOST = "127.0.0.1"
QUEUE = "bookingsync-bench"


def _number(name: str, default: float) -> float:
    return type(default)(os.environ.get(name, default))


# The machine has two cores: two server processes, and enough client
# connections that neither process waits for work.
SERVER_WORKERS = _number("BENCH_SERVER_WORKERS", 2)
SERVER_THREADS = _number("BENCH_SERVER_THREADS", 4)
CLIENTS = _number("BENCH_CLIENTS", 6)
WARMUP_SECONDS = _number("BENCH_WARMUP_SECONDS", 1.0)
MEASURE_SECONDS = _number("BENCH_MEASURE_SECONDS", 3.0)
ROUNDS = _number("BENCH_ROUNDS", 3)
# The worker phase stops here even if deliveries are left: its rate is taken
# from the deliveries it processed, and a loaded machine must not make the
# whole run drag on.
WORKER_TIMEOUT_SECONDS = _number("BENCH_WORKER_TIMEOUT_SECONDS", 45.0)
HISTORY_EVENTS = _number("BENCH_HISTORY_EVENTS", 200)
QUERY_SAMPLES = _number("BENCH_QUERY_SAMPLES", 20)
# Calls per step when timing the endpoint's steps one by one.
STEP_CALLS = _number("BENCH_STEP_CALLS", 200)

# Deliveries of the HTTP phase describe bookings of a few events each, in
# this order, so that processing sees updates as well as new bookings.
EVENT_CYCLE = (
    "booking.scheduled",
    "booking.rescheduled",
    "booking.rescheduled",
    "booking.canceled",
)
FIRST_UPDATE = dt.datetime(2026, 3, 2, 14, 5, 11, tzinfo=dt.UTC)


def say(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


# Bodies -------------------------------------------------------------------


def body_template() -> bytes:
    """The OnceHub sample with placeholders for what varies per delivery."""
    envelope = json.loads(SAMPLE.read_bytes())
    envelope["id"] = "@EVENT@"
    envelope["type"] = "@TYPE@"
    envelope["data"]["id"] = "@BOOKING@"
    envelope["data"]["last_updated_time"] = "@UPDATED@"
    return json.dumps(envelope).encode()


def event_body(
    template: bytes, *, event_id: str, booking_id: str, event_type: str, step: int
) -> bytes:
    """A body whose booking was last updated ``step`` seconds after the first."""
    updated = FIRST_UPDATE + dt.timedelta(seconds=step)
    return (
        template.replace(b"@EVENT@", event_id.encode())
        .replace(b"@TYPE@", event_type.encode())
        .replace(b"@BOOKING@", booking_id.encode())
        .replace(b"@UPDATED@", updated.isoformat().encode())
    )


# Load generator ------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    name: str
    path: str
    expect: int


@dataclass
class Measurement:
    rate: float
    ok: int
    errors: int
    p50_ms: float
    p99_ms: float
    statuses: dict


def _client(index, port, run_id, secret, commands, results) -> None:
    """One client process: one keep-alive connection, commands until None."""
    template = body_template()
    connection = None
    sequence = 0
    for name, path, expect, start, seconds in iter(commands.get, None):
        ok = errors = 0
        latencies = []
        statuses = {}
        time.sleep(max(0.0, start - time.time()))
        deadline = start + seconds
        while time.time() < deadline:
            body = event_body(
                template,
                event_id=f"EVNT-{run_id}-{index}-{sequence}",
                booking_id=f"BKNG-{run_id}-{index}-{sequence // len(EVENT_CYCLE)}",
                event_type=EVENT_CYCLE[sequence % len(EVENT_CYCLE)],
                step=sequence,
            )
            sequence += 1
            headers = {
                "Content-Type": "application/json",
                "Oncehub-Signature": sign(
                    secret=secret, body=body, timestamp=int(time.time())
                ),
            }
            began = time.perf_counter()
            try:
                if connection is None:
                    connection = http.client.HTTPConnection(HOST, port, timeout=30)
                connection.request("POST", path, body=body, headers=headers)
                response = connection.getresponse()
                response.read()
            except (OSError, http.client.HTTPException) as error:
                errors += 1
                key = type(error).__name__
                statuses[key] = statuses.get(key, 0) + 1
                if connection is not None:
                    connection.close()
                connection = None
                continue
            latencies.append(time.perf_counter() - began)
            if response.status == expect:
                ok += 1
            else:
                errors += 1
                statuses[response.status] = statuses.get(response.status, 0) + 1
            if response.will_close:
                connection.close()
                connection = None
        results.put(
            {
                "target": name,
                "ok": ok,
                "errors": errors,
                "statuses": statuses,
                "elapsed": time.time() - start,
                "latencies": latencies,
            }
        )
    if connection is not None:
        connection.close()


class LoadGenerator:
    """Client processes that load one target at a time, all starting together."""

    def __init__(self, *, port: int, run_id: str, secret: str, clients: int):
        # Spawned, not forked: the parent holds database connections.
        context = multiprocessing.get_context("spawn")
        self.results = context.Queue()
        self.commands = [context.Queue() for _ in range(clients)]
        self.processes = [
            context.Process(
                target=_client,
                args=(index, port, run_id, secret, commands, self.results),
                daemon=True,
            )
            for index, commands in enumerate(self.commands)
        ]
        for process in self.processes:
            process.start()

    def run(self, target: Target, seconds: float) -> Measurement:
        # A short lead so that every client is waiting when the clock starts.
        start = time.time() + 0.3
        for commands in self.commands:
            commands.put((target.name, target.path, target.expect, start, seconds))
        reports = [self._report(deadline=start + seconds + 60) for _ in self.processes]

        ok = sum(report["ok"] for report in reports)
        latencies = sorted(
            latency for report in reports for latency in report["latencies"]
        )
        statuses = {}
        for report in reports:
            for status, count in report["statuses"].items():
                statuses[status] = statuses.get(status, 0) + count
        if not latencies:
            latencies = [float("nan")]
        return Measurement(
            rate=ok / max(report["elapsed"] for report in reports),
            ok=ok,
            errors=sum(report["errors"] for report in reports),
            p50_ms=1000 * latencies[len(latencies) // 2],
            p99_ms=1000
            * latencies[min(len(latencies) - 1, len(latencies) * 99 // 100)],
            statuses=statuses,
        )

    def _report(self, *, deadline: float) -> dict:
        # A client that died would otherwise leave the parent waiting.
        while time.time() < deadline:
            try:
                return self.results.get(timeout=1)
            except queue.Empty:
                dead = [process for process in self.processes if not process.is_alive()]
                if dead:
                    raise SystemExit(
                        f"load client exited with code {dead[0].exitcode}"
                    ) from None
        raise SystemExit("load clients did not report in time")

    def close(self) -> None:
        for commands in self.commands:
            commands.put(None)
        for process in self.processes:
            process.join(timeout=5)
            if process.is_alive():
                process.terminate()
                process.join(timeout=5)


# Database ------------------------------------------------------------------


class Database:
    """The bench's own database: a SQLite file, or a PostgreSQL database."""

    def __init__(self, url: str):
        self.url = url or f"sqlite:///{SQLITE_PATH}"
        parts = urllib.parse.urlsplit(self.url)
        self.is_postgres = parts.scheme in ("postgres", "postgresql", "pgsql")
        if not self.is_postgres and parts.scheme != "sqlite":
            raise SystemExit(f"unsupported DATABASE_URL scheme: {parts.scheme}")
        # sqlite:////abs/path names /abs/path; postgres://host/name names name.
        self.name = parts.path[1:]
        self.where = f"{parts.hostname}:{parts.port or 5432}"
        if "bench" not in self.name:
            # The database is dropped and created again: never someone's data.
            raise SystemExit(
                f"refusing to replace database {self.name!r}: give the bench a "
                "database whose name contains 'bench'"
            )
        self._admin_url = urllib.parse.urlunsplit(parts._replace(path="/postgres"))

    @property
    def label(self) -> str:
        if self.is_postgres:
            return f"PostgreSQL, database {self.name} on {self.where}"
        return f"SQLite, {self.name}"

    def create(self) -> None:
        if not self.is_postgres:
            for suffix in ("", "-journal", "-wal", "-shm"):
                Path(f"{self.name}{suffix}").unlink(missing_ok=True)
            return
        self._admin(self._DROP, "CREATE DATABASE {}")

    def drop(self) -> None:
        if self.is_postgres:
            self._admin(self._DROP)

    _DROP = "DROP DATABASE IF EXISTS {} WITH (FORCE)"

    def _admin(self, *statements: str) -> None:
        """Run statements about this database from the server's own database."""
        import psycopg
        from psycopg import sql

        with psycopg.connect(self._admin_url, autocommit=True) as admin:
            for statement in statements:
                admin.execute(sql.SQL(statement).format(sql.Identifier(self.name)))


FLOOR_TABLE_SQL = {
    "sqlite": "CREATE TABLE {} (id INTEGER PRIMARY KEY AUTOINCREMENT, "
    "received_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP, body BLOB NOT NULL)",
    "postgresql": "CREATE TABLE {} (id BIGSERIAL PRIMARY KEY, "
    "received_at TIMESTAMPTZ NOT NULL DEFAULT now(), body BYTEA NOT NULL)",
}


def bench_env(database: Database, secret: str) -> dict[str, str]:
    """Environment of every bench process: bench settings, database, broker."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        BOOKINGSYNC_DATA_DIR=str(DATA_DIR),
        DATABASE_URL=database.url,
        # Set, not removed: a .env file would otherwise fill them in.
        REDIS_URL="",
        CELERY_BROKER_URL="filesystem://",
        CELERY_TASK_DEFAULT_QUEUE=QUEUE,
        BENCH_SECRET=secret,
        PYTHONPATH=os.pathsep.join(
            part for part in (str(BASE_DIR), os.environ.get("PYTHONPATH")) if part
        ),
    )
    env.pop("DEBUG", None)
    return env


# Subprocesses --------------------------------------------------------------


def start(command: list[str], *, env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("ab") as output:
        # A session of its own, so that stopping it reaches its children only.
        return subprocess.Popen(
            command,
            cwd=BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop(process: subprocess.Popen | None) -> None:
    """Ask the process group to stop, then make it stop."""
    if process is None or process.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def wait_for_server(server: subprocess.Popen, port: int, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited; see {log}:\n{_tail(log)}")
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=2)
            connection.request("GET", "/bench/bare/")
            status = connection.getresponse().status
            connection.close()
        except OSError:
            time.sleep(0.1)
            continue
        if status == 405:
            return
        raise SystemExit(f"gunicorn answered {status} to GET /bench/bare/")
    raise SystemExit(f"gunicorn did not answer within 30 s; see {log}")


def _tail(log: Path, lines: int = 20) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


# Phases --------------------------------------------------------------------


def prepare(secret: str):
    """Migrate the fresh database; create the endpoint and the floor table."""
    import django
    from django.core.management import call_command
    from django.db import connection

    django.setup()
    _log_to_file(LOG_DIR / "bench.log")
    call_command("migrate", interactive=False, verbosity=0)

    from bench.views import FLOOR_TABLE
    from scheduling.accounts import account_get_or_create, endpoint_create

    account, _ = account_get_or_create(slug="bench", name="Benchmark")
    endpoint = endpoint_create(
        account=account, provider="oncehub", name="bench", secret=secret
    )
    with connection.cursor() as cursor:
        cursor.execute(FLOOR_TABLE_SQL[connection.vendor].format(FLOOR_TABLE))
    return endpoint


def statements_per_request(targets: list[Target], secret: str) -> dict[str, list[str]]:
    """Run one request per target in-process and list the SQL each ran."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    template = body_template()
    found = {}
    for target in targets:
        body = event_body(
            template,
            event_id=f"EVNT-sql-{target.name}-{uuid.uuid4().hex[:8]}",
            booking_id=f"BKNG-sql-{target.name}",
            event_type=EVENT_CYCLE[0],
            step=0,
        )
        signature = sign(secret=secret, body=body, timestamp=int(time.time()))
        with CaptureQueriesContext(connection) as captured:
            response = client.post(
                target.path,
                data=body,
                content_type="application/json",
                headers={"Oncehub-Signature": signature},
            )
        if response.status_code != target.expect:
            raise SystemExit(
                f"{target.name} answered {response.status_code} in-process"
            )
        found[target.name] = [_describe(query["sql"]) for query in captured]
    return found


def _describe(sql: str) -> str:
    """``SELECT scheduling_booking``: the verb and the first table named."""
    words = sql.replace('"', "").split()
    if words[0] == "UPDATE" and len(words) > 1:
        return f"UPDATE {words[1]}"
    for keyword in ("FROM", "INTO"):
        if keyword in words[1:-1]:
            return f"{words[0]} {words[words.index(keyword) + 1]}"
    return words[0]


def measure_http(load: LoadGenerator, targets: list[Target]) -> dict[str, list]:
    for target in targets:
        load.run(target, WARMUP_SECONDS)
    results = {target.name: [] for target in targets}
    for round_index in range(ROUNDS):
        # Rotate the order so that no target always follows the same one.
        shift = round_index % len(targets)
        for target in targets[shift:] + targets[:shift]:
            results[target.name].append(load.run(target, MEASURE_SECONDS))
    return results


def measure_worker(env: dict[str, str], log: Path) -> dict:
    """Start one solo Celery worker and time it through every queued delivery."""
    from django.db.models import Count, Max, Min

    from scheduling.models import WebhookDelivery

    received = WebhookDelivery.Status.RECEIVED
    pending = WebhookDelivery.objects.filter(status=received).aggregate(
        count=Count("id"), first=Min("id"), last=Max("id")
    )
    batch = WebhookDelivery.objects.filter(
        id__range=(pending["first"], pending["last"])
    )
    messages = sum(1 for path in BROKER_OUT.iterdir() if path.name.endswith(".msg"))

    started = time.monotonic()
    worker = start(
        [
            str(BIN / "celery"),
            "-A",
            "bookingsync",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        env=env,
        log=log,
    )
    try:
        while time.monotonic() - started < WORKER_TIMEOUT_SECONDS:
            if not batch.filter(status=received).exists():
                break
            if worker.poll() is not None:
                raise SystemExit(f"the Celery worker exited; see {log}:\n{_tail(log)}")
            time.sleep(0.25)
    finally:
        stop(worker)
    wall = time.monotonic() - started

    done = batch.exclude(status=received).aggregate(
        count=Count("id"), first=Min("processed_at"), last=Max("processed_at")
    )
    span = (done["last"] - done["first"]).total_seconds() if done["count"] > 1 else 0
    return {
        "deliveries": pending["count"],
        "messages": messages,
        "processed": done["count"],
        "rate": (done["count"] - 1) / span if span else float("nan"),
        "wall": wall,
        "wall_rate": done["count"] / wall,
        "statuses": dict(
            batch.values_list("status").annotate(count=Count("id")).order_by("status")
        ),
    }


def measure_queries(endpoint, run_id: str) -> dict:
    """Count SQL queries per processed event, with and without history."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from scheduling.deliveries import delivery_process, delivery_record
    from scheduling.models import WebhookDelivery

    template = body_template()
    received = WebhookDelivery.Status.RECEIVED

    def process(booking_id: str, step: int, *, capture: bool):
        event_type = EVENT_CYCLE[0] if step == 0 else EVENT_CYCLE[1]
        body = event_body(
            template,
            event_id=f"EVNT-{run_id}-q-{booking_id}-{step}",
            booking_id=booking_id,
            event_type=event_type,
            step=step,
        )
        # Stored as the view stores it, then processed as the worker does.
        delivery = delivery_record(
            endpoint=endpoint,
            provider="oncehub",
            method="POST",
            path=endpoint.get_absolute_url(),
            remote_addr=HOST,
            headers={"Content-Type": "application/json"},
            body=body,
            body_size=len(body),
            status=received,
            response_status=202,
        )
        began = time.perf_counter()
        if capture:
            with CaptureQueriesContext(connection) as captured:
                status = delivery_process(delivery_id=delivery.pk)
        else:
            captured = None
            status = delivery_process(delivery_id=delivery.pk)
        seconds = time.perf_counter() - began
        if status != WebhookDelivery.Status.PROCESSED:
            raise SystemExit(f"delivery {delivery.pk} ended {status}, not processed")
        return captured, seconds

    fresh = [
        process(f"BKNG-{run_id}-new-{index}", 0, capture=True)[0]
        for index in range(QUERY_SAMPLES)
    ]

    booking_id = f"BKNG-{run_id}-history"
    checkpoints = {0, 1, 10, 100}
    early = {}
    seconds = 0.0
    for step in range(HISTORY_EVENTS):
        captured, took = process(booking_id, step, capture=step in checkpoints)
        if captured is not None:
            early[step] = len(captured)
        else:
            seconds += took
    late = [
        process(booking_id, HISTORY_EVENTS + index, capture=True)[0]
        for index in range(QUERY_SAMPLES)
    ]
    timed = HISTORY_EVENTS - len(checkpoints & set(range(HISTORY_EVENTS)))
    return {
        "fresh": sorted({len(captured) for captured in fresh}),
        "early": early,
        "late": sorted({len(captured) for captured in late}),
        "statements": [_describe(query["sql"]) for query in late[-1]],
        "rate": timed / seconds if seconds else float("nan"),
    }


def measure_steps(endpoint, targets: list[Target], secret: str) -> dict:
    """Time, in-process and one call at a time, where a request's time goes.

    Each target is called through Django's test client, with the time spent
    in the database summed: statements through an execute wrapper, and the
    COMMIT that ends an atomic block (which does not go through a cursor) by
    wrapping this connection's ``commit``. The real endpoint's steps
    (scheduling/views.py) are then called alone, as the view calls them, and
    so is a database reconnection, which the Celery worker pays for every task.
    """
    from django.db import connection, transaction
    from django.test import Client

    from scheduling.deliveries import delivery_enqueue, delivery_record
    from scheduling.models import WebhookDelivery, WebhookEndpoint

    template = body_template()
    client = Client()
    sequence = itertools.count()

    def body() -> bytes:
        step = next(sequence)
        return event_body(
            template,
            event_id=f"EVNT-steps-{uuid.uuid4().hex}",
            booking_id=f"BKNG-steps-{step // len(EVENT_CYCLE)}",
            event_type=EVENT_CYCLE[step % len(EVENT_CYCLE)],
            step=step,
        )

    # Seconds in the database, statements run, commits run.
    in_sql = [0.0, 0, 0]

    def sql_timer(execute, sql, params, many, context):
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            in_sql[0] += time.perf_counter() - began
            in_sql[1] += 1

    commit = connection.commit

    def timed_commit():
        began = time.perf_counter()
        try:
            return commit()
        finally:
            in_sql[0] += time.perf_counter() - began
            in_sql[2] += 1

    requests = {}
    for target in targets:

        def post(target=target):
            data = body()
            signature = sign(secret=secret, body=data, timestamp=int(time.time()))
            client.post(
                target.path,
                data=data,
                content_type="application/json",
                headers={"Oncehub-Signature": signature},
            )

        in_sql[:] = [0.0, 0, 0]
        connection.commit = timed_commit
        try:
            with connection.execute_wrapper(sql_timer):
                total = _milliseconds_per_call(post)
        finally:
            del connection.commit
        calls = STEP_CALLS + 1  # With the untimed first call.
        requests[target.name] = {
            "total": total,
            "sql": 1000 * in_sql[0] / calls,
            "statements": in_sql[1] / calls,
            "commits": in_sql[2] / calls,
        }

    def lookup():
        WebhookEndpoint.objects.select_related("account").filter(
            provider="oncehub", token=endpoint.token, is_active=True
        ).first()

    recorded = []

    def record():
        data = body()
        with transaction.atomic():
            delivery = delivery_record(
                endpoint=endpoint,
                provider="oncehub",
                method="POST",
                path=endpoint.get_absolute_url(),
                remote_addr=HOST,
                headers={
                    "Content-Length": str(len(data)),
                    "Content-Type": "application/json",
                    "Host": HOST,
                    "Oncehub-Signature": "t=0,s=0",
                },
                body=data,
                body_size=len(data),
                status=WebhookDelivery.Status.RECEIVED,
                response_status=202,
            )
        recorded.append(delivery.pk)

    def enqueue():
        delivery_enqueue(recorded[-1])

    def reconnect():
        connection.close()
        connection.ensure_connection()

    steps = {
        "endpoint lookup (ORM, as the view)": lookup,
        "delivery_record in atomic()": record,
        "delivery_enqueue (Celery publish)": enqueue,
        "database reconnect": reconnect,
    }
    return {
        "requests": requests,
        "steps": {name: _milliseconds_per_call(call) for name, call in steps.items()},
    }


def _milliseconds_per_call(call, calls: int = STEP_CALLS) -> float:
    call()
    began = time.perf_counter()
    for _ in range(calls):
        call()
    return 1000 * (time.perf_counter() - began) / calls


# Report --------------------------------------------------------------------


def report_http(results: dict[str, list], targets: list[Target]) -> dict[str, float]:
    header = "  ".join(f"round {index + 1:>2}" for index in range(ROUNDS))
    say(f"{'target':<8}{header}    median  p50 ms  p99 ms  errors")
    medians = {}
    for target in targets:
        runs = results[target.name]
        medians[target.name] = statistics.median(run.rate for run in runs)
        rounds = "  ".join(f"{run.rate:8.1f}" for run in runs)
        errors = sum(run.errors for run in runs)
        statuses = {}
        for run in runs:
            for status, count in run.statuses.items():
                statuses[status] = statuses.get(status, 0) + count
        p50 = statistics.median(run.p50_ms for run in runs)
        p99 = statistics.median(run.p99_ms for run in runs)
        say(
            f"{target.name:<8}{rounds}  {medians[target.name]:8.1f}  {p50:6.1f}  "
            f"{p99:6.1f}  {errors}{f' {statuses}' if statuses else ''}"
        )
    say()
    say("accepted deliveries per second (median of rounds):")
    say(f"  real webhook endpoint:            {medians['ingest']:8.1f} requests/s")
    say(f"  bare Django JSON view (ceiling):  {medians['bare']:8.1f} requests/s")
    say(f"  signature + one INSERT (floor):   {medians['floor']:8.1f} requests/s")
    return medians


def report_worker(worker: dict, queries: dict) -> None:
    say("processing by one Celery worker (--pool=solo) from the filesystem broker:")
    left = worker["deliveries"] - worker["processed"]
    say(
        f"  {worker['deliveries']} deliveries stored, {worker['messages']} messages "
        f"queued; {worker['processed']} processed in {worker['wall']:.1f} s"
        + (f" (stopped at the time limit, {left} left)" if left else "")
    )
    say(f"  statuses: {worker['statuses']}")
    say(
        f"  {worker['rate']:.1f} events/s, first to last processed_at "
        f"({worker['wall_rate']:.1f} events/s counting worker start-up)"
    )
    say(f"  in-process delivery_process, same database: {queries['rate']:.1f} events/s")
    say()
    say("SQL queries per event (delivery_process, CaptureQueriesContext):")
    say(f"  new booking, {QUERY_SAMPLES} bookings: {_counts(queries['fresh'])}")
    for step, count in sorted(queries["early"].items()):
        say(f"  one booking, event after {step:>3} earlier events: {count}")
    say(
        f"  one booking, {QUERY_SAMPLES} events after {HISTORY_EVENTS}+ earlier "
        f"events: {_counts(queries['late'])}"
    )
    # New bookings may differ by one UPDATE when their customer already
    # exists with other details; what must not vary is the cost of one
    # booking's next event as its history grows.
    seen = set(queries["early"].values()) | set(queries["late"])
    say(f"  constant whatever the history: {'yes' if len(seen) == 1 else 'NO'}")
    say(f"  statements: {', '.join(queries['statements'])}")


def report_steps(measured: dict, reuse_max) -> None:
    say(f"time per request, in-process test client, mean of {STEP_CALLS}:")
    say("  target    total ms   in the database ms   elsewhere ms")
    for name, request in measured["requests"].items():
        count = round(request["statements"])
        calls = f"{count} statement{'' if count == 1 else 's'}"
        if request["commits"]:
            calls += f" + {request['commits']:.0f} COMMIT"
        say(
            f"  {name:<8} {request['total']:8.2f}   {request['sql']:18.2f}   "
            f"{request['total'] - request['sql']:12.2f}   ({calls})"
        )
    say("the real endpoint's steps, each called alone:")
    for name, milliseconds in measured["steps"].items():
        say(f"  {name:<36} {milliseconds:6.2f} ms")
    if reuse_max:
        say(f"  the worker reuses connections (CELERY_DB_REUSE_MAX={reuse_max})")
    else:
        say(
            "  the worker pays the reconnect for every task: Celery's Django "
            "fixup closes"
        )
        say(
            "  connections before and after each task unless CELERY_DB_REUSE_MAX is set"
        )


def _counts(counts: list[int]) -> str:
    return str(counts[0]) if len(counts) == 1 else f"varies: {counts}"


def _log_to_file(path: Path) -> None:
    """Send this process's log lines to a file, not between the results."""
    import logging

    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(path.open("a"))


def main() -> None:
    database = Database(os.environ.get("DATABASE_URL", ""))
    secret = secrets.token_hex(16)
    run_id = uuid.uuid4().hex[:8]

    shutil.rmtree(DATA_DIR / "broker", ignore_errors=True)
    shutil.rmtree(LOG_DIR, ignore_errors=True)
    LOG_DIR.mkdir(parents=True)

    say("BookingSync ingest benchmark")
    say(f"database: {database.label}")
    say(
        f"server: gunicorn gthread, {SERVER_WORKERS} workers x {SERVER_THREADS} "
        f"threads; load: {CLIENTS} client processes, keep-alive; "
        f"{os.cpu_count()} cores"
    )
    say(
        f"each target: {WARMUP_SECONDS:g} s warm-up, then {ROUNDS} rounds of "
        f"{MEASURE_SECONDS:g} s, order rotated each round; logs in "
        f"{LOG_DIR.relative_to(BASE_DIR)}/"
    )
    say()

    server = load = None
    database.create()
    try:
        env = bench_env(database, secret)
        os.environ.update(env)
        endpoint = prepare(secret)
        targets = [
            Target("ingest", endpoint.get_absolute_url(), 202),
            Target("bare", "/bench/bare/", 200),
            Target("floor", "/bench/floor/", 202),
        ]
        statements = statements_per_request(targets, secret)
        from django.db import connections

        connections.close_all()

        # Requests: one server, the three targets in turn.
        port = free_port()
        server_log = LOG_DIR / "gunicorn.log"
        server = start(
            [
                str(BIN / "gunicorn"),
                "bookingsync.wsgi:application",
                f"--bind={HOST}:{port}",
                "--worker-class=gthread",
                f"--workers={SERVER_WORKERS}",
                f"--threads={SERVER_THREADS}",
                # Longer than any pause between two targets.
                "--keep-alive=30",
                "--log-level=warning",
            ],
            env=env,
            log=server_log,
        )
        load = LoadGenerator(port=port, run_id=run_id, secret=secret, clients=CLIENTS)
        wait_for_server(server, port, server_log)
        results = measure_http(load, targets)
        load.close()
        load = None
        stop(server)
        server = None

        medians = report_http(results, targets)
        say()
        say("SQL per request (one request each, in-process):")
        for target in targets:
            found = statements[target.name]
            say(f"  {target.name:<7} {len(found)}: {', '.join(found) or '-'}")
        say()

        # Processing: a real worker first, then in-process for the counts.
        worker = measure_worker(env, LOG_DIR / "worker.log")
        queries = measure_queries(endpoint, run_id)
        report_worker(worker, queries)
        say()

        from django.conf import settings

        measured = measure_steps(endpoint, targets, secret)
        report_steps(measured, getattr(settings, "CELERY_DB_REUSE_MAX", None))
        say()
        say(f"ratio ingest/floor: {medians['ingest'] / medians['floor']:.2f}")
    finally:
        if load is not None:
            load.close()
        stop(server)
        if "django" in sys.modules:
            from django.db import connections

            connections.close_all()
        if database.is_postgres and not os.environ.get("BENCH_KEEP_DB"):
            database.drop()


if __name__ == "__main__":
    main()
