"""deploy/Caddyfile, for real: Debian's caddy with its internal certificate authority in front of a
production `remit web`. A biller's own domain gets a certificate on demand and its portal over HTTPS;
a name no biller set gets no certificate; plain HTTP redirects to HTTPS; Remit sees https and the
client's own address; an instance that is down is routed around. (scripts/ensure-caddy installs
caddy; `make test` runs it.)"""

from __future__ import annotations

import http.client
import json
import re
import shutil
import socket
import ssl
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings

from conftest import free_port
from remit.billers.actions import biller_set_custom_domain
from remit.site.tests.test_worker import wait_for
from remit.test import child_env, make_biller
from remit.users.models import FailedSignIn

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

CADDYFILE = Path(settings.BASE_DIR) / "deploy" / "Caddyfile"
# What only a test needs: Caddy's own certificate authority instead of Let's Encrypt's, its root kept
# out of the machine's trust store, no admin endpoint, no HTTP/3 (UDP) listener.
TEST_OPTIONS = "\tlocal_certs\n\tskip_install_trust\n\tadmin off\n\tservers {\n\t\tprotocols h1 h2\n\t}\n"
CLIENT = "127.0.0.2"  # the test connects from here; Caddy reaches Remit from 127.0.0.1


@dataclass
class Proxy:
    http_port: int
    https_port: int
    root: Path  # Caddy's root certificate
    web_log: Path
    log: Path

    def https(self, host: str) -> SniConnection:
        context = ssl.create_default_context(cafile=str(self.root))
        return SniConnection(host, self.https_port, context=context, timeout=30)


class SniConnection(http.client.HTTPSConnection):
    """HTTPS to ``host`` as a browser would ask for it (SNI, Host, certificate checked against the
    name), with the name resolved to 127.0.0.1 and the connection made from CLIENT."""

    def connect(self) -> None:
        sock = socket.create_connection(("127.0.0.1", self.port), self.timeout, (CLIENT, 0))
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def caddyfile_for_test(path: Path) -> Path:
    text = CADDYFILE.read_text()
    assert text.count("\n{\n") == 1, "the global options block opens the Caddyfile"
    path.write_text(text.replace("\n{\n", "\n{\n" + TEST_OPTIONS, 1))
    return path


def listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def proxy(tmp_path: Path) -> Iterator[Proxy]:
    caddy = shutil.which("caddy")
    if caddy is None:
        pytest.fail("This test needs Debian's caddy: run 'make test' (scripts/ensure-caddy installs it).")
    data = tmp_path / "remit-data"
    web_port, dead_port, http_port, https_port = free_port(), free_port(), free_port(), free_port()
    env = child_env(
        REMIT_ENV="production",
        REMIT_DATA_DIR=str(data),
        REMIT_BASE_URL="https://remit.test",
        ALLOWED_HOSTS="127.0.0.1",  # Caddy's questions and health checks come by this address
        REMIT_LOG_FORMAT="json",
    )
    remit = [sys.executable, "-m", "remit"]
    subprocess.run([*remit, "collectstatic", "--no-input", "-v", "0"], env=env, check=True, timeout=120)
    web_log = tmp_path / "web.log"
    with web_log.open("w") as out:
        web = subprocess.Popen(
            [*remit, "web", f"--bind=127.0.0.1:{web_port}", "--workers=1", "--threads=4"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    home = tmp_path / "caddy-home"
    caddy_env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "ACME_EMAIL": "ops@remit.test",
        "REMIT_HOST": "remit.test",
        # A second instance that is down: the health check keeps requests away from it.
        "REMIT_UPSTREAMS": f"127.0.0.1:{web_port} 127.0.0.1:{dead_port}",
        "REMIT_ASK": f"127.0.0.1:{web_port}",
        "CADDY_HTTP_PORT": str(http_port),
        "CADDY_HTTPS_PORT": str(https_port),
    }
    caddy_log = tmp_path / "caddy.log"
    proxy = Proxy(http_port, https_port, home / "data/caddy/pki/authorities/local/root.crt", web_log, caddy_log)
    caddy_process = None
    try:

        def live() -> bool:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{web_port}/healthz/live", timeout=2) as response:
                    return bool(response.status == 200)
            except OSError:
                return False

        wait_for(live, timeout=60, what="remit web to answer")
        config = caddyfile_for_test(tmp_path / "Caddyfile")
        with caddy_log.open("w") as out:
            caddy_process = subprocess.Popen(
                [caddy, "run", "--config", str(config), "--adapter", "caddyfile"],
                env=caddy_env,
                cwd=tmp_path,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        wait_for(proxy.root.exists, timeout=20, what="Caddy's root certificate")
        wait_for(lambda: listening(https_port), timeout=20, what="Caddy to listen")
        yield proxy
    finally:
        if caddy_process is not None:
            stop(caddy_process)
        stop(web)
        print("caddy:", caddy_log.read_text()[-3000:] if caddy_log.exists() else "")
        print("web:", web_log.read_text()[-3000:])


def test_a_billers_own_domain_gets_a_certificate_and_its_portal_over_https(proxy: Proxy):
    acme, owner = make_biller("Acme Supply Co.")
    biller_set_custom_domain(biller=acme, actor=owner, domain="pay.acme.test")

    # HTTPS by the biller's own domain: a certificate for that name, got on demand, and the portal.
    connection = proxy.https("pay.acme.test")
    connection.request("GET", "/signin/")
    response = connection.getresponse()
    page = response.read().decode()
    assert response.status == 200, page
    assert "Sign in to pay Acme Supply Co." in page
    certificate = connection.sock.getpeercert()
    assert certificate is not None and ("DNS", "pay.acme.test") in certificate["subjectAltName"]
    assert response.getheader("Strict-Transport-Security")  # Remit knows the request came over HTTPS
    request_id = response.getheader("X-Request-ID")
    cookies = "; ".join(c.split(";", 1)[0] for c in response.headers.get_all("Set-Cookie") or [])
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None and "Secure" in (response.getheader("Set-Cookie") or "")

    # A form posted over HTTPS passes Django's origin check (it sees https), and a wrong password is
    # counted against the client's own address, not the proxy's nor one the client made up.
    body = f"csrfmiddlewaretoken={token[1]}&next=&email=payer%40example.com&password=wrong-password"
    connection.request(
        "POST",
        "/signin/",
        body=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": cookies,
            "Origin": f"https://pay.acme.test:{proxy.https_port}",
            "Referer": f"https://pay.acme.test:{proxy.https_port}/signin/",
            "X-Forwarded-For": "203.0.113.9",
        },
    )
    response = connection.getresponse()
    assert response.status == 200 and "The email or password is not right" in response.read().decode()
    assert list(FailedSignIn.objects.values_list("ip_address", flat=True)) == [CLIENT]
    connection.close()

    # Plain HTTP redirects to HTTPS, for the biller's domain and for Remit's own host.
    for host in ["pay.acme.test", "remit.test"]:
        plain = http.client.HTTPConnection("127.0.0.1", proxy.http_port, timeout=10)
        plain.request("GET", "/signin/?next=%2Finvoices%2F", headers={"Host": f"{host}:{proxy.http_port}"})
        redirect = plain.getresponse()
        assert redirect.status in {301, 308}, host
        location = redirect.getheader("Location") or ""
        assert re.match(rf"https://{re.escape(host)}(:\d+)?/signin/\?next=%2Finvoices%2F$", location), location
        plain.close()

    # Remit's own host has its own certificate; the internal question is not served to the public.
    own = proxy.https("remit.test")
    own.request("GET", "/internal/tls-allowed?domain=pay.acme.test")
    refused = own.getresponse()
    assert refused.status == 404 and refused.getheader("Server") == "Caddy" and refused.read() == b""
    own.close()

    # A name no biller set: Remit says no, so there is no certificate and the handshake fails.
    with pytest.raises(ssl.SSLError):
        stranger = proxy.https("evil.test")
        stranger.request("GET", "/")
    certificates = proxy.root.parents[3] / "certificates"
    assert list(certificates.glob("*/pay.acme.test")) and not list(certificates.glob("*/evil.test"))

    # Gunicorn's own lines are JSON too, and its access line carries the request id Remit gave.
    lines = [json.loads(line) for line in proxy.web_log.read_text().splitlines() if line.strip()]
    asked = [line for line in lines if line.get("route") == "tls-allowed"]
    assert [line["status"] for line in asked] == [200, 404]  # pay.acme.test, then evil.test
    access = [line for line in lines if line["logger"] == "gunicorn.access" and line["request_id"] == request_id]
    assert len(access) == 1 and access[0]["status"] == 200 and access[0]["method"] == "GET"
    assert any(line["logger"] == "gunicorn.error" and "Booting worker" in line["message"] for line in lines)

    # Caddy's access log has each request, without its path (some hold a signed link's token), and
    # with the request id that finds Remit's lines.
    caddy_lines = [json.loads(line) for line in proxy.log.read_text().splitlines() if line.startswith("{")]
    accessed = [line for line in caddy_lines if line.get("logger", "").startswith("http.log.access")]
    ours = [line for line in accessed if line["request"]["host"].startswith("pay.acme.test")]
    assert [line["request"]["method"] for line in ours] == ["GET", "POST", "GET"]  # the last: plain HTTP
    assert ours[0]["resp_headers"]["X-Request-Id"] == [request_id]
    assert not [line for line in accessed if "uri" in line["request"] or "/signin/" in json.dumps(line)]
