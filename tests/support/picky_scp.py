"""A PACS stricter than storescp (which accepts any called AE title and always answers
echoes): a pynetdicom SCP in its own process that knows only its own AE title and, on
request, does not offer Verification. Binds 127.0.0.1; stopped by its PID."""

import socket
import subprocess
import sys
import time

from tests.support.orthanc import free_port

READY_TIMEOUT_S = 10.0

_SCRIPT = """
import sys
from pynetdicom import AE, AllStoragePresentationContexts, VerificationPresentationContexts
ae = AE(sys.argv[2])
ae.require_called_aet = True
contexts = list(AllStoragePresentationContexts)
if sys.argv[3] == "echo":
    contexts += VerificationPresentationContexts
ae.supported_contexts = contexts
ae.start_server(("127.0.0.1", int(sys.argv[1])), block=True)
"""


class PickyScp:
    """A pynetdicom SCP called ``aet`` (only that called AE title is accepted)."""

    script = _SCRIPT  # Run as: python -c SCRIPT PORT AET ARGS...

    def __init__(self, aet: str = "RIGHT", echo: bool = True) -> None:
        self._start(aet, "echo" if echo else "-")

    def _start(self, aet: str, *args: str) -> None:
        """Run ``script`` on a free port and wait until it listens."""
        self.aet = aet
        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-c", self.script, str(self.port), aet, *args],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                sock.settimeout(0.5)
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"the pynetdicom SCP did not listen on port {self.port}")

    def address(self, aet: str | None = None) -> str:
        """``AET@127.0.0.1:PORT`` (its own AE title unless another is given)."""
        return f"{aet or self.aet}@127.0.0.1:{self.port}"

    def stop(self) -> None:
        """Terminate by PID; kill if it does not exit in time."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
