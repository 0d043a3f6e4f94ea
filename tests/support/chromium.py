"""Headless Chromium driven over the DevTools protocol on a pipe (standard library only).

Chromium reads protocol commands from its fd 3 and writes answers and events to its fd 4
(``--remote-debugging-pipe``), one JSON message per NUL-terminated chunk: no port is opened.
One page is attached in "flat" mode, so page commands carry its ``sessionId``.

Everything is bounded: each command waits at most ``timeout`` seconds, polls have a
deadline, and ``close()`` ends the browser by its PID and then every process whose
command line names this browser's folder (its profile and HOME are there; Chromium's
crashpad handler leaves the browser's process group, so killing the group is not enough).

What the browser rendering needs here (Debian's chromium, no display, no GPU): headless
mode with WebGL2 on SwiftShader (``--use-angle=swiftshader --enable-unsafe-swiftshader``).
"""

import base64
import contextlib
import fcntl
import json
import os
import select
import shutil
import signal
import subprocess
import time
from collections import deque
from pathlib import Path
from typing import Any

PACKAGE = "chromium"
COMMAND_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
WINDOW = (1400, 900)
# fds the browser expects the protocol pipe on (fixed by --remote-debugging-pipe).
CHILD_READS_FD = 3
CHILD_WRITES_FD = 4

FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader", f"--window-size={WINDOW[0]},{WINDOW[1]}",
    "--force-device-scale-factor=1", "--remote-debugging-pipe",
    # Nothing but the page under test talks to the network, and nothing asks a question.
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-first-run", "--no-default-browser-check", "--disable-quic",
    "--disable-extensions", "--disable-default-apps", "--mute-audio", "--hide-scrollbars",
    "--disable-crash-reporter", "--disable-breakpad",
]

# The viewport canvas of cornerstone (OHIF's renderer): how many distinct grey levels
# (pixels with R = G = B) it holds; -1 while there is no such canvas with a size yet.
GREY_LEVELS_JS = """(() => {
  let best = -1;
  for (const canvas of document.querySelectorAll('canvas.cornerstone-canvas')) {
    if (!canvas.width || !canvas.height) continue;
    const context = canvas.getContext('2d', { willReadFrequently: true });
    if (!context) continue;
    const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
    const levels = new Set();
    for (let i = 0; i < data.length; i += 4) {
      if (data[i] === data[i + 1] && data[i] === data[i + 2]) levels.add(data[i]);
    }
    best = Math.max(best, levels.size);
  }
  return best;
})()"""


class BrowserError(Exception):
    """The browser did not answer, answered with an error, or exited."""


def chromium_binary() -> str | None:
    """The Chromium program (Debian's real binary, not its shell wrapper), or None."""
    real = Path("/usr/lib/chromium/chromium")
    if real.is_file() and os.access(real, os.X_OK):
        return str(real)
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _high_fd(fd: int) -> int:
    """A close-on-exec copy of ``fd`` numbered 10 or more (so that moving it to 3 or 4 in
    the child cannot overwrite the other pipe end); ``fd`` is closed."""
    copy = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return copy


class Chromium:
    """One headless browser with one page, its profile and logs in ``folder``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.profile = folder / "profile"
        self.log = folder / "chromium.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.session = ""
        self.problems: deque[str] = deque(maxlen=40)  # page errors, for failure messages
        self._to_browser = -1
        self._from_browser = -1
        self._buffer = b""
        self._next_id = 0
        self._answers: dict[int, dict[str, Any]] = {}

    # -- the process ---------------------------------------------------------------
    def start(self) -> None:
        """Start the browser and attach to a blank page (bounded by COMMAND_TIMEOUT_S)."""
        binary = chromium_binary()
        if binary is None:
            raise BrowserError(f"Chromium is not installed (Debian package: {PACKAGE})")
        home = self.folder / "home"
        for path in (self.profile, home):
            path.mkdir(parents=True, exist_ok=True)
        env = {key: value for key, value in os.environ.items()
               if not key.startswith(("DISPLAY", "WAYLAND_", "XDG_", "DBUS_", "CHROME"))}
        env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"),
                   XDG_CACHE_HOME=str(home / ".cache"))
        child_reads, parent_writes = (_high_fd(fd) for fd in os.pipe())
        parent_reads, child_writes = (_high_fd(fd) for fd in os.pipe())

        def move_pipe_to_3_and_4() -> None:  # runs in the child, before exec
            os.dup2(child_reads, CHILD_READS_FD)  # dup2 clears close-on-exec
            os.dup2(child_writes, CHILD_WRITES_FD)

        argv = [binary, *FLAGS, f"--user-data-dir={self.profile}", "about:blank"]
        try:
            with open(self.log, "ab") as log:
                # close_fds=False keeps fds 3 and 4; every other fd Python opened is
                # close-on-exec (PEP 446), so nothing else reaches the browser.
                self.process = subprocess.Popen(
                    argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                    env=env, cwd=self.folder, close_fds=False,
                    preexec_fn=move_pipe_to_3_and_4, start_new_session=True,
                )
        finally:
            os.close(child_reads)
            os.close(child_writes)
        self._to_browser, self._from_browser = parent_writes, parent_reads
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget",
                                 {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.page(f"{domain}.enable")

    def close(self) -> None:
        """End the browser: ask it to close, then by PID, then every process that names
        this browser's folder (the crashpad handler's database is in its HOME there);
        close the pipe."""
        process = self.process
        if process is not None and process.poll() is None:
            with contextlib.suppress(BrowserError, OSError):
                self.call("Browser.close", timeout=5.0)
            try:
                process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=STOP_TIMEOUT_S)
        kill_processes_naming(self.folder)
        for fd in (self._to_browser, self._from_browser):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._to_browser = self._from_browser = -1

    def log_tail(self, chars: int = 2000) -> str:
        """The end of the browser's own output (for failure messages)."""
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    # -- the protocol ----------------------------------------------------------------
    def call(self, method: str, params: dict[str, Any] | None = None, *,
             session: str = "", timeout: float = COMMAND_TIMEOUT_S) -> dict[str, Any]:
        """Send one command and wait (at most ``timeout`` s) for its answer's result."""
        self._next_id += 1
        ident = self._next_id
        message: dict[str, Any] = {"id": ident, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        data = json.dumps(message).encode() + b"\0"
        try:
            while data:
                data = data[os.write(self._to_browser, data):]
        except OSError as error:
            raise BrowserError(f"{method}: the browser is gone ({error})") from error
        deadline = time.monotonic() + timeout
        while ident not in self._answers:
            self._read_some(deadline, method)
        answer = self._answers.pop(ident)
        if "error" in answer:
            raise BrowserError(f"{method} failed: {answer['error']}")
        result: dict[str, Any] = answer.get("result", {})
        return result

    def page(self, method: str, params: dict[str, Any] | None = None, *,
             timeout: float = COMMAND_TIMEOUT_S) -> dict[str, Any]:
        """``call`` in the attached page's session."""
        return self.call(method, params, session=self.session, timeout=timeout)

    def _read_some(self, deadline: float, method: str) -> None:
        """Read what the browser wrote (waiting until ``deadline``) and file each message."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise BrowserError(f"{method}: no answer from the browser in time")
        ready, _, _ = select.select([self._from_browser], [], [], remaining)
        if not ready:
            raise BrowserError(f"{method}: no answer from the browser in time")
        chunk = os.read(self._from_browser, 1 << 20)
        if not chunk:
            raise BrowserError(f"{method}: the browser closed the pipe (exit code "
                               f"{self.process.poll() if self.process else None}): "
                               f"{self.log_tail(500)}")
        self._buffer += chunk
        *messages, self._buffer = self._buffer.split(b"\0")
        for raw in messages:
            message = json.loads(raw)
            if "id" in message:
                self._answers[int(message["id"])] = message
            else:
                self._note_event(message)

    def _note_event(self, message: dict[str, Any]) -> None:
        """Keep the page's errors (uncaught exceptions, console errors) for diagnosis."""
        method, params = message.get("method"), message.get("params", {})
        if method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            text = details.get("exception", {}).get("description") or details.get("text")
            self.problems.append(f"exception: {text}")
        elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
            args = [str(a.get("value", a.get("description", ""))) for a in params["args"]]
            self.problems.append("console.error: " + " ".join(args)[:300])
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            entry = params["entry"]
            self.problems.append(f"log: {entry.get('text')} {entry.get('url', '')}"[:300])

    # -- what the tests do with a page ----------------------------------------------
    def navigate(self, url: str) -> None:
        """Open ``url`` in the page (returns once the navigation is committed)."""
        result = self.page("Page.navigate", {"url": url})
        if result.get("errorText"):
            raise BrowserError(f"could not open {url}: {result['errorText']}")

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (awaited if a promise)."""
        result = self.page("Runtime.evaluate", {"expression": expression,
                                                "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in result:
            raise BrowserError(f"the page could not evaluate it: {result['exceptionDetails']}")
        return result.get("result", {}).get("value")

    def wait_for_image(self, min_levels: int, timeout: float, interval: float = 0.5) -> int:
        """Poll the viewport canvas until it holds at least ``min_levels`` grey levels in
        two polls in a row (so the image is drawn, not still loading); that count. Raises
        BrowserError with the last count and the page's errors after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        levels, streak = -1, 0
        while time.monotonic() < deadline:
            levels = int(self.evaluate(GREY_LEVELS_JS))
            streak = streak + 1 if levels >= min_levels else 0
            if streak >= 2:
                return levels
            time.sleep(interval)
        raise BrowserError(f"no image in the viewport after {timeout:.0f} s (last count of "
                           f"grey levels: {levels}; page errors: {list(self.problems)})")

    def text(self) -> str:
        """The page's visible text (``document.body.innerText``)."""
        return str(self.evaluate("document.body ? document.body.innerText : ''"))

    def screenshot(self, path: Path) -> Path:
        """Save what the page shows as a PNG at ``path``; the path."""
        data = self.page("Page.captureScreenshot", {"format": "png"})["data"]
        path.write_bytes(base64.b64decode(data))
        return path


def kill_processes_naming(folder: Path) -> list[int]:
    """SIGKILL every process whose command line contains ``folder`` (a unique test
    folder, so nothing else can match); the PIDs signalled."""
    needle = os.fsencode(str(folder))
    killed = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if needle in cmdline:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(entry.name), signal.SIGKILL)
                killed.append(int(entry.name))
    return killed
