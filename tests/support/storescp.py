"""dcmtk's storescp as a PACS for the send tests and the benchmark.

It binds every interface, so it runs only inside ``scripts/isolated.sh``'s loopback-only
namespace; started with TCP_NODELAY=1 and stopped by its PID. Every wait is bounded.
"""

import os
import shutil
from pathlib import Path

from tests.support.orthanc import free_port, namespace_problem
from tests.support.server_process import STOP_TIMEOUT_S, start_listening, stop_process


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
        self.process = start_listening(argv, self.port, "storescp",
                                       env={**os.environ, "TCP_NODELAY": "1"})

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
        stop_process(self.process)
