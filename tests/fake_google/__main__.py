"""Run the fake as a local HTTP server: python -m tests.fake_google --port N."""

from __future__ import annotations

import argparse
import contextlib
import socketserver
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from .app import FakeGoogle


class _ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Keep test output clean."""


def serve(port: int, host: str = "127.0.0.1", fake: FakeGoogle | None = None) -> WSGIServer:
    """Build (not start) a threaded WSGI server for the fake."""
    return make_server(
        host, port, fake or FakeGoogle(), server_class=_ThreadingServer, handler_class=_QuietHandler
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Fake Google Sheets v4 / Drive v3 server")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)
    server = serve(args.port, args.host)
    print(f"fake google listening on http://{args.host}:{server.server_port}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()
