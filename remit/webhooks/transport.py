"""One HTTP POST of a delivery, with the standard library (urllib): a 10-second timeout, no
redirects followed (a 3xx is not a success), no proxies, at most a little of the answer read.

In production the connection goes to the address ``addresses.public_address`` checked, and TLS is
verified against the URL's host name, so a name that resolves to an internal address is refused
even if its DNS changed after the endpoint was saved — unless the operator opened that name or
address (``allow``, from ``REMIT_WEBHOOK_ALLOW``).
"""

from __future__ import annotations

import http.client
import socket
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from remit.lib.allowlist import NOTHING, AddressAllowlist
from remit.webhooks.addresses import AddressError, public_address

TIMEOUT_SECONDS = 10
ANSWER_BYTES = 1000  # what is kept of the receiver's answer, for the deliveries log


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str = ""

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """Connects to ``address`` (already checked) while TLS verifies the URL's host name."""

    def __init__(self, *args: Any, address: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


class _PinnedHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, address: str) -> None:
        super().__init__(context=ssl.create_default_context())
        self._address = address

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        connection = partial(_PinnedHTTPSConnection, address=self._address)
        return self.do_open(connection, req, context=self._context)  # type: ignore[attr-defined]


def post(
    url: str, body: bytes, headers: dict[str, str], *, production: bool, allow: AddressAllowlist = NOTHING
) -> Outcome:
    """POST ``body``; never raises for the receiver's sake: every failure is an ``Outcome``."""
    handlers: list[Any] = [_NoRedirects(), urllib.request.ProxyHandler({})]
    try:
        if production:
            parts = urlsplit(url)
            address = public_address(parts.hostname or "", parts.port or 443, allow=allow)
            handlers.append(_PinnedHTTPSHandler(address))
        opener = urllib.request.build_opener(*handlers)
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 (checked)
        with opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            response.read(ANSWER_BYTES)
            return Outcome(status_code=response.status)
    except urllib.error.HTTPError as error:
        answer = _answer(error)
        return Outcome(status_code=error.code, error=f"HTTP {error.code}" + (f": {answer}" if answer else ""))
    except AddressError as error:
        return Outcome(status_code=None, error=str(error))
    except urllib.error.URLError as error:
        return Outcome(status_code=None, error=f"Could not connect: {error.reason}")
    except (OSError, http.client.HTTPException, ValueError) as error:
        said = f": {error}" if str(error) else ""
        return Outcome(status_code=None, error=f"{type(error).__name__}{said}")


def _answer(error: urllib.error.HTTPError) -> str:
    try:
        raw = error.read(ANSWER_BYTES)
    except Exception:
        return ""
    finally:
        error.close()
    return raw.decode("utf-8", errors="replace").strip()
