"""The locust scenario of `make loadtest` (issue 16): portal users sign in, look at their home, their
invoices and an invoice's PDF, pay outstanding bills (the form, then a real payment) and look at their
payments; console users list the biller's invoices; a probe asks ``/healthz`` alone, twice a second.
Each user thinks 1–3 s between tasks and talks to one of the web instances (``LOADTEST_HOSTS``), the
users spread evenly over them.

Run by `remit loadtest` (``locust -f`` this file); it reads who signs in from ``LOADTEST_LOGINS``
(world.py's ``Logins``) and writes every request it timed to ``LOADTEST_SAMPLES`` (report.py reads
them). It imports nothing of Django's: locust's gevent must not share a process with it."""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import time
from typing import Any

from locust import HttpUser, between, constant, events, task
from locust.env import Environment

HEADERS = {"X-Forwarded-Proto": "https"}  # as the reverse proxy in front of Remit says
_numbers = itertools.count()
_samples: list[tuple[float, str, float, str]] = []
_marks: dict[str, float] = {}


def hosts() -> list[str]:
    return [host for host in os.environ.get("LOADTEST_HOSTS", "").split(",") if host]


def logins() -> dict[str, Any]:
    path = os.environ.get("LOADTEST_LOGINS")
    if not path:
        return {"slug": "", "password": "", "portal": [], "console": []}
    with open(path) as source:
        return dict(json.load(source))


def field(html: str, name: str) -> str:
    """The value of the form field ``name`` on a page: an input's value, or a select's chosen option."""
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    if found is None:
        select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
        options = re.findall(r'<option value="([^"]+)"', select.group(1)) if select else []
        return next(iter(options), "")
    return found.group(1)


def checked(html: str, name: str) -> list[str]:
    return re.findall(rf'name="{name}" value="([^"]+)"[^>]*checked', html)


@events.request.add_listener
def _timed(request_type: str, name: str, response_time: float, exception: object, **_: Any) -> None:
    _samples.append((time.time(), name, response_time, "" if exception is None else str(exception)[:200]))


@events.spawning_complete.add_listener
def _spawned(user_count: int, **_: Any) -> None:
    _marks.setdefault("spawned", time.time())


@events.test_stop.add_listener
def _write(environment: Environment, **_: Any) -> None:
    path = os.environ.get("LOADTEST_SAMPLES")
    if path:
        with open(path, "w") as out:
            json.dump({"spawned": _marks.get("spawned", 0.0), "samples": _samples}, out)


class RemitUser(HttpUser):
    abstract = True
    host = "http://127.0.0.1"

    def on_start(self) -> None:
        number = next(_numbers)
        self.number = number
        self.world = logins()
        self.client.base_url = hosts()[number % len(hosts())] if hosts() else self.host

    def sent_over_http(self) -> None:
        """The proxy speaks HTTPS to the browser, so Remit's cookies are Secure; this client talks plain
        HTTP to the instance behind it, and must send them all the same (requests copies its cookies
        into a jar of default policy for each request, so a policy of ours would not reach it)."""
        for cookie in self.client.cookies:
            cookie.secure = False

    def page(self, path: str, name: str) -> str:
        with self.client.get(path, name=name, headers=HEADERS, allow_redirects=False, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code} for {path} {response.error or ''}".strip())
        self.sent_over_http()
        return response.text or ""

    def post(self, path: str, name: str, data: dict[str, Any], *, expect: str) -> str:
        """A form sent as a browser would (the CSRF cookie and token, the Referer); it must answer with
        a redirect to an address containing ``expect``. The address it redirects to."""
        headers = {**HEADERS, "Referer": f"https://{self.client.base_url.split('://')[1]}{path}"}
        with self.client.post(
            path, name=name, data=data, headers=headers, allow_redirects=False, catch_response=True
        ) as response:
            location = response.headers.get("Location", "")
            if response.status_code != 302 or expect not in location:
                problem = re.search(r'class="errorlist[^"]*"[^>]*>\s*<li>(.*?)</li>', response.text or "", re.S)
                response.failure(f"{response.status_code} {problem.group(1) if problem else location}")
                location = ""
        self.sent_over_http()
        return location


class PortalUser(RemitUser):
    """A customer's person in the biller's portal."""

    weight = 9
    wait_time = between(1, 3)

    def on_start(self) -> None:
        super().on_start()
        people = self.world["portal"]
        self.email = people[self.number % len(people)] if people else ""
        self.base = f"/{self.world['slug']}/"
        self.invoice_ids: list[str] = []
        self.sign_in()

    def sign_in(self) -> None:
        html = self.page(f"{self.base}signin/", "portal: sign-in form")
        data = {"csrfmiddlewaretoken": field(html, "csrfmiddlewaretoken"), "next": field(html, "next")}
        data |= {"email": self.email, "password": self.world["password"]}
        self.post(f"{self.base}signin/", "portal: sign-in POST", data, expect=self.base)

    @task(4)
    def home(self) -> None:
        self.page(self.base, "portal: home")

    @task(3)
    def invoices(self) -> None:
        status = random.choice(["", "", "outstanding", "paid"])  # noqa: S311
        html = self.page(f"{self.base}invoices/?status={status}", "portal: invoices")
        self.invoice_ids = re.findall(rf"{self.base}invoices/(\d+)/", html) or self.invoice_ids

    @task(2)
    def invoice_pdf(self) -> None:
        if not self.invoice_ids:
            return self.invoices()
        invoice = random.choice(self.invoice_ids)  # noqa: S311
        with self.client.get(
            f"{self.base}invoices/{invoice}/pdf", name="portal: invoice PDF", headers=HEADERS, catch_response=True
        ) as response:
            if response.status_code != 200 or not response.content.startswith(b"%PDF"):
                response.failure(f"{response.status_code}: no PDF {response.error or ''}".strip())
        return None

    @task(2)
    def pay_bills(self) -> None:
        """Pay Outstanding Bills: the form, then a few dollars over the invoices it selected."""
        html = self.page(f"{self.base}pay-bills/", "portal: pay bills")
        invoices = checked(html, "invoices")
        if not invoices:
            return
        data: dict[str, str | list[str]] = {
            name: field(html, name) for name in ("csrfmiddlewaretoken", "idempotency_key", "pay_on", "bank_account")
        }
        data |= {"invoices": invoices, "total": f"{random.randint(1, 5)}.00"}  # noqa: S311
        location = self.post(f"{self.base}pay-bills/", "portal: pay bills POST", data, expect="/payments/")
        if location:
            self.page(location, "portal: payment")

    @task(2)
    def payments(self) -> None:
        self.page(f"{self.base}payments/", "portal: payments")

    @task(1)
    def sign_in_again(self) -> None:
        html = self.page(self.base, "portal: home")
        token = field(html, "csrfmiddlewaretoken")
        self.post(f"{self.base}signout/", "portal: sign out", {"csrfmiddlewaretoken": token}, expect="signin")
        self.sign_in()


class ConsoleUser(RemitUser):
    """One of the biller's staff, in the console."""

    weight = 1
    wait_time = between(1, 3)

    def on_start(self) -> None:
        super().on_start()
        staff = self.world["console"]
        html = self.page("/console/signin/", "console: sign-in form")
        data = {"csrfmiddlewaretoken": field(html, "csrfmiddlewaretoken")}
        data |= {"email": staff[self.number % len(staff)] if staff else "", "password": self.world["password"]}
        self.post("/console/signin/", "console: sign-in POST", data, expect="/console/")

    @task
    def invoices(self) -> None:
        query = random.choice(["", "", "?status=outstanding", "?status=overdue", "?page=2"])  # noqa: S311
        self.page(f"/console/{self.world['slug']}/invoices/{query}", "console: invoices")


class HealthzProbe(RemitUser):
    """``/healthz`` alone, twice a second on each instance in turn: how long a trivial request waits."""

    fixed_count = 1
    wait_time = constant(0.5)

    @task
    def healthz(self) -> None:
        for host in hosts() or [self.client.base_url]:
            with self.client.get(f"{host}/healthz", name="/healthz", headers=HEADERS, catch_response=True) as r:
                if r.status_code != 200:
                    r.failure(f"{r.status_code}")
