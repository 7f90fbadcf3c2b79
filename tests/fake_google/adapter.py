"""A requests transport adapter that hands requests to the in-process fake."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

import requests
from requests.adapters import BaseAdapter, HTTPAdapter
from requests.structures import CaseInsensitiveDict

if TYPE_CHECKING:
    from .app import FakeGoogle

PREFIXES = ("https://sheets.googleapis.com", "https://www.googleapis.com")


class FakeGoogleAdapter(BaseAdapter):
    """Routes requests for Google's API hosts to a FakeGoogle instance."""

    def __init__(self, fake: FakeGoogle) -> None:
        super().__init__()
        self.fake = fake

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Any = None,
    ) -> requests.Response:
        parts = urlsplit(request.url or "")
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        elif not isinstance(body, bytes):
            body = b"".join(body)
        headers = {k.lower(): v for k, v in (request.headers or {}).items()}
        status, hdrs, payload = self.fake.handle(
            request.method or "GET", unquote(parts.path), parts.query, body, headers
        )
        resp = requests.Response()
        resp.status_code = status
        resp.headers = CaseInsensitiveDict(hdrs)
        resp._content = payload
        resp.url = request.url or ""
        resp.request = request
        resp.reason = "OK" if status < 400 else "Error"
        resp.encoding = "utf-8"
        return resp

    def close(self) -> None:
        """Nothing to release."""


def mount(fake: FakeGoogle, session: requests.Session) -> None:
    """Make ``session`` talk to the fake for both Google API hosts."""
    adapter = FakeGoogleAdapter(fake)
    for prefix in PREFIXES:
        session.mount(prefix, adapter)


def fake_credentials(token: str = "fake-token") -> Any:
    """google-auth credentials with a fixed token that never refresh over the network
    (the fake tells users apart by their token)."""
    from google.auth import credentials

    class _Token(credentials.Credentials):
        def __init__(self) -> None:
            super().__init__()
            self.token = token

        @property
        def expired(self) -> bool:
            return False

        @property
        def valid(self) -> bool:
            return True

        def refresh(self, request: Any) -> None:
            self.token = token

    return _Token()


def gspread_client(fake: FakeGoogle, http_client: Any = None, token: str = "fake-token") -> Any:
    """A real gspread.Client whose session is routed to the fake."""
    import gspread

    kwargs = {"http_client": http_client} if http_client is not None else {}
    client = gspread.Client(auth=fake_credentials(token), **kwargs)
    mount(fake, client.http_client.session)
    return client


class LoopbackAdapter(HTTPAdapter):
    """Sends requests for Google's API hosts over real HTTP to the fake served on
    loopback (`python -m tests.fake_google`, or `serve()` in a thread)."""

    def __init__(self, base: str) -> None:
        super().__init__(pool_maxsize=64)  # the store reads and writes 16 at a time
        self.base = base.rstrip("/")

    def send(
        self, request: requests.PreparedRequest, *args: Any, **kwargs: Any
    ) -> requests.Response:
        parts = urlsplit(request.url or "")
        request.url = self.base + parts.path + (f"?{parts.query}" if parts.query else "")
        return super().send(request, *args, **kwargs)


def mount_loopback(session: requests.Session, base: str) -> None:
    """Make ``session`` talk to the fake server at ``base`` (http://127.0.0.1:PORT)."""
    adapter = LoopbackAdapter(base)
    for prefix in PREFIXES:
        session.mount(prefix, adapter)
