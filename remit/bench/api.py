"""The API behind the production server: invoices created per second by 10 concurrent clients, beside
the same server's rate for `/healthz` (the ratio shows what Remit's own code costs per request; the
goal is a quarter of it).

gunicorn runs as `remit run` runs it in production (2 × cores + 1 sync workers) on the bench's
database; the clients are threads with one keep-alive connection each.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from datetime import date

from django.db import connection

from remit.api.actions import api_key_create
from remit.billers.actions import biller_sign_up
from remit.customers.actions import customer_create
from remit.customers.rules import CustomerFields

Row = tuple[str, str, str]
CLIENTS = 10
GOAL = 0.25  # invoices created per second, as a share of /healthz requests per second


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_up(port: int, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not listen on {port} within {seconds:.0f} s")


def _hammer(port: int, seconds: float, request: tuple[str, str, bytes | None, dict[str, str]]) -> tuple[int, int]:
    """CLIENTS threads send ``request`` for ``seconds``; returns (successes, failures)."""
    method, path, body, headers = request
    counts = [[0, 0] for _ in range(CLIENTS)]
    start = threading.Event()

    def client(slot: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        start.wait()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                counts[slot][0 if response.status < 300 else 1] += 1
            except (OSError, http.client.HTTPException):
                counts[slot][1] += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    start.set()
    for thread in threads:
        thread.join()
    return sum(c[0] for c in counts), sum(c[1] for c in counts)


def invoice_creation(database_url: str, *, seconds: float = 20.0) -> list[Row]:
    biller, owner = biller_sign_up(
        business_name="API Bench Co", owner_name="Bench", email="api@bench.example", password="bench-password-2026"
    )
    customer = customer_create(
        biller=biller, actor=owner, fields=CustomerFields(name="Bench Customer", billing_emails=["c@bench.example"])
    )
    key = api_key_create(biller=biller, actor=owner, name="Bench").secret
    port = _free_port()
    workers = 2 * (os.cpu_count() or 1) + 1
    env = {**os.environ, "DATABASE_URL": database_url, "REMIT_DEBUG": "0", "REMIT_API_RATE": "1000000/min"}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "remit.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        _wait_until_up(port)
        body = json.dumps(
            {
                "customer": customer.pk,
                "issue_date": date.today().isoformat(),
                "terms": "net_30",
                "lines": [{"description": "Bench widget", "quantity": "2", "unit_price_cents": 1250}],
            }
        ).encode()
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json", "Host": "127.0.0.1"}
        # Warm every worker (imports, first connection) before measuring.
        _hammer(port, 2.0, ("GET", "/healthz", None, {"Host": "127.0.0.1"}))
        health_ok, health_failed = _hammer(port, seconds, ("GET", "/healthz", None, {"Host": "127.0.0.1"}))
        made_ok, made_failed = _hammer(port, seconds, ("POST", "/api/v1/invoices", body, headers))
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
    created = customer.invoices.count()
    health_rate, api_rate = health_ok / seconds, made_ok / seconds
    share = f"{api_rate / health_rate:.1%} of /healthz's rate (goal ≥ {GOAL:.0%})" if health_rate else "no /healthz"
    return [
        (
            f"GET /healthz, {CLIENTS} clients, gunicorn {workers} workers ({connection.vendor})",
            f"{health_rate:,.0f} requests/s",
            f"{health_failed} failed",
        ),
        (
            f"POST /api/v1/invoices, {CLIENTS} clients, same server ({connection.vendor})",
            f"{api_rate:,.0f} invoices/s",
            f"{share}; {made_failed} failed; {created:,} invoices in the database",
        ),
    ]
