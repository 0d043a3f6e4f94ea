"""A fault-injecting HTTP proxy on loopback, between the upload client and Orthanc.

Each request is handled on its own connection (the proxy answers ``Connection: close``),
so the proxy always knows where one request ends. What happens to the n-th request is
scripted: pass it on, drop the connection in the middle of its body, answer 503 with
Retry-After, stall without answering, or pass it on and then lose the answer. The proxy
counts every request and the multipart parts (instances) in each body, so a test can say
how many requests and instances really went over the wire.

It can also stand in for a service that takes Bearer tokens: it checks the token and
passes the request on to Orthanc with Basic credentials.
"""

import base64
import contextlib
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import BinaryIO

IO_TIMEOUT_S = 30.0
STALL_LIMIT_S = 30.0
DROP_AFTER_BYTES = 64 * 1024


class Fault(Enum):
    """What the proxy does with one request."""

    PASS = "pass"
    DROP_MID_BODY = "drop mid-body"  # read DROP_AFTER_BYTES of the body, then hang up
    BUSY = "503 Retry-After"  # read the body, answer 503 with Retry-After
    STALL = "stall"  # read the body, never answer (until the client gives up)
    LOSE_ANSWER = "lose the answer"  # pass it on, then hang up instead of answering


@dataclass
class Seen:
    """One request as the proxy saw it."""

    method: str
    path: str
    fault: Fault
    authorization: str = ""
    body_bytes: int = 0
    parts: int = 0  # multipart parts (instances) counted in the body that was read
    status: int = 0  # what the client got (0: no answer)


@dataclass
class _Request:
    method: str
    path: str
    version: str
    headers: list[tuple[str, str]] = field(default_factory=list)

    def header(self, name: str) -> str:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return ""


class FaultProxy:
    """A threaded HTTP proxy on 127.0.0.1 in front of ``upstream`` (host, port)."""

    def __init__(self, upstream: tuple[str, int], script: list[Fault] | None = None,
                 *, only: Callable[[str, str], bool] | None = None,
                 bearer: tuple[str, str, str] | None = None,
                 retry_after: str = "1") -> None:
        """``script[i]`` is done to the i-th request that ``only(method, path)`` selects
        (by default every POST); later requests pass. ``bearer`` = (token, username,
        password): require ``Authorization: Bearer token`` and send Basic upstream."""
        self.upstream = upstream
        self.script = list(script or [])
        self.only = only or (lambda method, _path: method == "POST")
        self.bearer = bearer
        self.retry_after = retry_after
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        self._selected = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = int(self._listener.getsockname()[1])
        self._stopping = threading.Event()
        self._clients: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._acceptor = threading.Thread(target=self._accept, name="fault-proxy", daemon=True)
        self._acceptor.start()

    @property
    def url(self) -> str:
        """The proxy's address, e.g. http://127.0.0.1:40123."""
        return f"http://127.0.0.1:{self.port}"

    def requests_seen(self, method: str = "POST") -> list[Seen]:
        """The requests of one method, in arrival order."""
        with self._lock:
            return [s for s in self.seen if s.method == method]

    def close(self) -> None:
        """Stop accepting, hang up on every client, and wait for the threads (bounded)."""
        self._stopping.set()
        self._acceptor.join(timeout=5)
        self._listener.close()
        with self._lock:
            clients = list(self._clients)
        for client in clients:
            _close(client)
        for thread in self._threads:
            thread.join(timeout=5)

    def __enter__(self) -> "FaultProxy":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- serving ----------------------------------------------------------------------
    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(IO_TIMEOUT_S)
            with self._lock:
                self._clients.add(client)
            thread = threading.Thread(target=self._serve, args=(client,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, client: socket.socket) -> None:
        try:
            reader = client.makefile("rb")
            request = _read_head(reader)
            if request is None:
                return
            fault = Fault.PASS
            with self._lock:
                if self.only(request.method, request.path):
                    if self._selected < len(self.script):
                        fault = self.script[self._selected]
                    self._selected += 1
                seen = Seen(request.method, request.path, fault,
                            request.header("Authorization"))
                self.seen.append(seen)
            self._handle(client, reader, request, seen)
        except OSError:
            pass
        finally:
            with self._lock:
                self._clients.discard(client)
            _close(client)

    def _handle(self, client: socket.socket, reader: BinaryIO, request: _Request,
                seen: Seen) -> None:
        counter = _PartCounter(request.header("Content-Type"))
        if self.bearer is not None:
            token, username, password = self.bearer
            if request.header("Authorization") != f"Bearer {token}":
                _relay_body(reader, request, counter, seen, None)
                seen.status = 401
                client.sendall(b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n"
                               b"WWW-Authenticate: Bearer\r\nConnection: close\r\n\r\n")
                return
            basic = base64.b64encode(f"{username}:{password}".encode()).decode()
            request.headers = [(k, v) for k, v in request.headers
                               if k.lower() != "authorization"]
            request.headers.append(("Authorization", f"Basic {basic}"))
        if seen.fault is Fault.DROP_MID_BODY:
            _relay_body(reader, request, counter, seen, None, limit=DROP_AFTER_BYTES)
            return  # Hang up with the rest of the body unread (the client sees a reset).
        if seen.fault is Fault.BUSY:
            _relay_body(reader, request, counter, seen, None)
            seen.status = 503
            client.sendall(f"HTTP/1.1 503 Service Unavailable\r\nRetry-After: "
                           f"{self.retry_after}\r\nContent-Length: 0\r\n"
                           "Connection: close\r\n\r\n".encode())
            return
        if seen.fault is Fault.STALL:
            _relay_body(reader, request, counter, seen, None)
            _wait_for_hang_up(client, self._stopping)
            return
        with socket.create_connection(self.upstream, timeout=IO_TIMEOUT_S) as upstream:
            head = [f"{request.method} {request.path} {request.version}"]
            head += [f"{k}: {v}" for k, v in request.headers if k.lower() != "connection"]
            head += ["Connection: close", "", ""]
            upstream.sendall("\r\n".join(head).encode("latin-1"))
            _relay_body(reader, request, counter, seen, upstream)
            answer = _read_all(upstream)
        if seen.fault is Fault.LOSE_ANSWER:
            return  # Orthanc has done the work; the client never hears of it.
        status = re.match(rb"HTTP/1\.[01] (\d{3})", answer)
        seen.status = int(status.group(1)) if status else 0
        client.sendall(_closing(answer))


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.close()


def _closing(answer: bytes) -> bytes:
    """The answer with ``Connection: close``: the client must not send another request
    on a connection the proxy is about to close."""
    head, sep, body = answer.partition(b"\r\n\r\n")
    lines = [line for line in head.split(b"\r\n")
             if not line.lower().startswith(b"connection:")]
    return b"\r\n".join([*lines, b"Connection: close"]) + sep + body


def _read_head(reader: BinaryIO) -> _Request | None:
    line = reader.readline(65536)
    if not line:
        return None
    method, path, version = line.decode("latin-1").rstrip("\r\n").split(" ", 2)
    request = _Request(method, path, version)
    for _ in range(200):
        raw = reader.readline(65536).decode("latin-1").rstrip("\r\n")
        if not raw:
            return request
        key, _, value = raw.partition(":")
        request.headers.append((key.strip(), value.strip()))
    raise OSError("too many header lines")


def _relay_body(reader: BinaryIO, request: _Request, counter: "_PartCounter", seen: Seen,
                sink: socket.socket | None, limit: int | None = None) -> None:
    """Read the request body (Content-Length or chunked), send it to ``sink`` as it is;
    stop after ``limit`` bytes of payload."""

    def take(data: bytes, payload: bool) -> bool:
        if payload:
            counter.feed(data)
            seen.body_bytes += len(data)
            seen.parts = counter.parts
        if sink is not None:
            sink.sendall(data)
        return limit is not None and seen.body_bytes >= limit

    if request.header("Transfer-Encoding").lower() == "chunked":
        for _ in range(10_000_000):
            size_line = reader.readline(1024)
            if not size_line:
                return
            if take(size_line, False):
                return
            size = int(size_line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                for _ in range(100):  # trailer, up to the empty line
                    trailer = reader.readline(65536)
                    take(trailer, False)
                    if trailer in (b"\r\n", b"\n", b""):
                        return
                return
            if _copy(reader, size, take):
                return
            take(reader.read(2), False)
        return
    length = int(request.header("Content-Length") or "0")
    _copy(reader, length, take)


def _copy(reader: BinaryIO, size: int, take: Callable[[bytes, bool], bool]) -> bool:
    left = size
    while left > 0:
        data = reader.read(min(left, 256 * 1024))
        if not data:
            raise OSError("the client hung up in the middle of the body")
        left -= len(data)
        if take(data, True):
            return True
    return False


def _read_all(sock: socket.socket) -> bytes:
    chunks = []
    deadline = time.monotonic() + IO_TIMEOUT_S * 4
    while time.monotonic() < deadline:
        data = sock.recv(256 * 1024)
        if not data:
            break
        chunks.append(data)
    return b"".join(chunks)


def _wait_for_hang_up(client: socket.socket, stopping: threading.Event) -> None:
    client.settimeout(0.2)
    deadline = time.monotonic() + STALL_LIMIT_S
    while time.monotonic() < deadline and not stopping.is_set():
        try:
            if not client.recv(65536):
                return
        except TimeoutError:
            continue


class _PartCounter:
    """Counts multipart parts in a body read in pieces (a delimiter may straddle two)."""

    def __init__(self, content_type: str) -> None:
        found = re.search(r'boundary="?([^";]+)"?', content_type)
        self.marker = b"--" + found.group(1).encode() + b"\r\nContent-Type" if found else b""
        self.parts = 0
        self._tail = b""

    def feed(self, data: bytes) -> None:
        if not self.marker:
            return
        window = self._tail + data
        self.parts += window.count(self.marker)
        self._tail = window[-(len(self.marker) - 1):]
