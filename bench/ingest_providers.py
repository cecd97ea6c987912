"""How fast each provider's webhook endpoint accepts signed deliveries.

Starts gunicorn on loopback against a throwaway database (SQLite in a
temporary folder, or the database ``DATABASE_URL`` names), creates one
endpoint per provider, and posts each provider's sample body, freshly
signed, a bounded number of times from a bounded number of threads. Prints
accepted deliveries per second for each provider, latency percentiles, and
each rate as a ratio to the first provider's.

Run by hand:  .venv/bin/python bench/ingest_providers.py [--requests 400]

Only the receiving side is measured (verify, store, queue): nothing
processes the stored deliveries. With ``REDIS_URL`` set, tasks go to a
queue of the bench's own that is deleted at the end; otherwise to a
filesystem broker in the temporary folder.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = {
    "oncehub": "oncehub/booking_scheduled.json",
    "calendly": "calendly/calendly_invitee_created.json",
    "calcom": "calcom/calcom_booking_created.json",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bench_env(data_dir: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bookingsync.settings",
        "BOOKINGSYNC_DATA_DIR": data_dir,
        # A key for this throwaway run only; it signs nothing that outlives it.
        "SECRET_KEY": "bench-only-" + os.urandom(16).hex(),
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
        "CELERY_TASK_DEFAULT_QUEUE": f"bookingsync-bench-{os.getpid()}",
    }
    return env


def set_up(env: dict[str, str]) -> dict[str, tuple[str, str]]:
    """Migrate and create an endpoint per provider: name -> (path, secret)."""
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from scheduling import providers
    from scheduling.accounts import account_get_or_create, endpoint_create

    account, _ = account_get_or_create(slug=f"bench-{os.getpid()}", name="Bench")
    endpoints = {}
    for name in providers.PROVIDERS:
        endpoint = endpoint_create(account=account, provider=name)
        endpoints[name] = (endpoint.get_absolute_url(), endpoint.secret)
    return endpoints


def start_gunicorn(env: dict[str, str], port: int, workers: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "bookingsync.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with code {process.returncode}")
        try:
            requests.get(f"http://127.0.0.1:{port}/admin/login/", timeout=1)
            return process
        except requests.RequestException:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit("gunicorn did not answer within 30 s")


def run_provider(
    *, url: str, name: str, secret: str, count: int, concurrency: int, timeout: float
) -> dict:
    from scheduling import providers

    module = providers.get(name)
    body = (ROOT / "scheduling" / "samples" / SAMPLES[name]).read_bytes()

    def post(session: requests.Session) -> tuple[int, float]:
        headers = {"Content-Type": "application/json"}
        headers.update(
            module.signature_headers(
                secret=secret, body=body, timestamp=int(time.time())
            )
        )
        started = time.perf_counter()
        try:
            status = session.post(url, data=body, headers=headers, timeout=timeout)
            code = status.status_code
        except requests.RequestException:
            code = 0
        return code, time.perf_counter() - started

    sessions = [requests.Session() for _ in range(concurrency)]
    with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
        # Warm up connections and each worker's code paths.
        list(pool.map(post, sessions * 2))
        started = time.perf_counter()
        results = list(
            pool.map(post, (sessions[i % concurrency] for i in range(count)))
        )
        elapsed = time.perf_counter() - started
    for session in sessions:
        session.close()

    return {
        "provider": name,
        "sent": count,
        "accepted": sum(1 for code, _ in results if code == 202),
        "seconds": elapsed,
        "latencies": [seconds for _, seconds in results],
    }


def _rotated(items: list, turn: int) -> list:
    turn %= len(items)
    return items[turn:] + items[:turn]


def _total(rounds: list[dict]) -> dict:
    """Add up one provider's rounds; percentiles are of all its requests."""
    latencies = sorted(seconds for row in rounds for seconds in row["latencies"])
    accepted = sum(row["accepted"] for row in rounds)
    seconds = sum(row["seconds"] for row in rounds)
    return {
        "provider": rounds[0]["provider"],
        "accepted": accepted,
        "other": sum(row["sent"] for row in rounds) - accepted,
        "seconds": seconds,
        "rate": accepted / seconds if seconds else 0.0,
        "p50": statistics.median(latencies) * 1000,
        "p95": latencies[max(int(len(latencies) * 0.95) - 1, 0)] * 1000,
    }


def drop_bench_queue(queue: str) -> None:
    """Delete the messages the bench queued; nothing will ever consume them."""
    if not os.environ.get("REDIS_URL"):
        return
    import redis

    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    client.delete(queue)
    client.close()


def say(line: str) -> None:
    sys.stdout.write(line + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=400, help="per provider")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--timeout", type=float, default=10.0, help="per request")
    parser.add_argument(
        "--rounds",
        type=int,
        default=4,
        help="split each provider's requests into rounds, taken in turns, so "
        "that no provider always runs on the fullest tables",
    )
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bookingsync-bench-") as data_dir:
        env = bench_env(data_dir)
        endpoints = set_up(env)
        port = free_port()
        server = start_gunicorn(env, port, options.workers)
        try:
            rounds = [
                run_provider(
                    url=f"http://127.0.0.1:{port}{path}",
                    name=name,
                    secret=secret,
                    count=options.requests // options.rounds,
                    concurrency=options.concurrency,
                    timeout=options.timeout,
                )
                for turn in range(options.rounds)
                for name, (path, secret) in _rotated(list(endpoints.items()), turn)
            ]
            rows = [
                _total([row for row in rounds if row["provider"] == name])
                for name in endpoints
            ]
        finally:
            server.terminate()
            server.wait(timeout=20)
            drop_bench_queue(env["CELERY_TASK_DEFAULT_QUEUE"])

    from django.conf import settings

    say(
        f"database={settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]} "
        f"broker={settings.CELERY_BROKER_URL.split(':', 1)[0]} "
        f"gunicorn workers={options.workers} concurrency={options.concurrency} "
        f"requests/provider={options.requests} rounds={options.rounds}"
    )
    say(
        f"{'provider':<10}{'accepted':>10}{'other':>7}{'seconds':>9}"
        f"{'accepted/s':>12}{'p50 ms':>8}{'p95 ms':>8}{'ratio':>7}"
    )
    base = rows[0]["rate"] or 1.0
    for row in rows:
        say(
            f"{row['provider']:<10}{row['accepted']:>10}{row['other']:>7}"
            f"{row['seconds']:>9.2f}{row['rate']:>12.1f}{row['p50']:>8.1f}"
            f"{row['p95']:>8.1f}{row['rate'] / base:>7.2f}"
        )


if __name__ == "__main__":
    main()
