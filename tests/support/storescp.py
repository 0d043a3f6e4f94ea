"""dcmtk's storescp as a PACS for the send tests and the benchmark.

It binds every interface, so it runs only inside ``scripts/isolated.sh``'s loopback-only
namespace; started with TCP_NODELAY=1 and stopped by its PID. Every wait is bounded.
"""

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from tests.support.orthanc import free_port, namespace_problem

READY_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 5.0


def storescp_problem(command: str = "make test") -> str | None:
    """Why storescp cannot run here, or None."""
    problem = namespace_problem(command)
    if problem:
        return problem
    if shutil.which("storescp") is None:
        return "dcmtk's storescp is not installed (Debian package: dcmtk)"
    return None


class StoreScp:
    """One storescp writing what it receives to ``folder`` (``extra`` options added), on
    ``port`` (a free one by default; given, to stand in for one that was stopped)."""

    def __init__(self, folder: Path, *extra: str, aet: str = "STORESCP",
                 port: int | None = None) -> None:
        self.folder = folder
        self.aet = aet
        self.port = port if port is not None else free_port()
        folder.mkdir(parents=True, exist_ok=True)
        argv = ["storescp", "-aet", aet, "-od", str(folder), "-dhl", "-fe", ".dcm",
                "-pdu", "131072", *extra, str(self.port)]
        self.process = subprocess.Popen(argv, env={**os.environ, "TCP_NODELAY": "1"},
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                sock.settimeout(0.5)
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"storescp did not listen on port {self.port}")

    @property
    def address(self) -> str:
        """``AET@127.0.0.1:PORT``."""
        return f"{self.aet}@127.0.0.1:{self.port}"

    def files(self) -> list[Path]:
        """The files received so far."""
        return sorted(self.folder.glob("*.dcm"))

    def kill(self) -> None:
        """Kill by PID at once (SIGKILL), as a crash or a power cut would."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(STOP_TIMEOUT_S)

    def stop(self) -> None:
        """Terminate by PID; kill if it does not exit in time."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(STOP_TIMEOUT_S)
