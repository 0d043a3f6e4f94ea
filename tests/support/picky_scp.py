"""A PACS stricter than storescp (which accepts any called AE title and always answers
echoes): a pynetdicom SCP in its own process that knows only its own AE title and, on
request, does not offer Verification. Binds 127.0.0.1; stopped by its PID."""

import sys

from tests.support.orthanc import free_port
from tests.support.server_process import start_listening, stop_process

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
        self.process = start_listening(
            [sys.executable, "-c", self.script, str(self.port), aet, *args], self.port,
            "the pynetdicom SCP")

    def address(self, aet: str | None = None) -> str:
        """``AET@127.0.0.1:PORT`` (its own AE title unless another is given)."""
        return f"{aet or self.aet}@127.0.0.1:{self.port}"

    def stop(self) -> None:
        """Terminate by PID; kill if it does not exit in time."""
        stop_process(self.process)
