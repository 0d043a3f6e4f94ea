"""A tiny HTTP server on loopback that records each request and gives a canned answer.

For the answers a real Orthanc does not give on demand (FailedSOPSequence codes, 429,
Retry-After, 413...). Request bodies are read whole (chunked or not) and kept, so a test
can check the multipart body byte for byte.
"""

import json
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


@dataclass
class Recorded:
    """One request as the server received it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Canned:
    """One answer."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @staticmethod
    def json(status: int, data: Any, **headers: str) -> "Canned":
        """An answer with a JSON body (no Content-Type, as Orthanc's 4xx answers)."""
        return Canned(status, json.dumps(data).encode(), headers)


Answer = Callable[[Recorded], Canned]


class CannedServer:
    """Answers every request with ``answer(request)``; records what it received."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.received: list[Recorded] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    body = self._chunked()
                else:
                    body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                request = Recorded(self.command, self.path, dict(self.headers.items()), body)
                server.received.append(request)
                canned = server.answer(request)
                self.send_response(canned.status)
                for key, value in canned.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(canned.body)))
                self.end_headers()
                self.wfile.write(canned.body)

            def _chunked(self) -> bytes:
                parts = []
                for _ in range(10_000_000):
                    size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass
                        break
                    parts.append(self.rfile.read(size))
                    self.rfile.read(2)
                return b"".join(parts)

            do_GET = _serve
            do_POST = _serve

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.1}, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        """The server's address."""
        return f"http://127.0.0.1:{self.port}"

    def use_tls(self, cert: Path, key: Path) -> str:
        """Speak HTTPS from now on, with this certificate; the https:// address."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        return f"https://127.0.0.1:{self.port}"

    def close(self) -> None:
        """Stop serving (bounded)."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> "CannedServer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
