"""A client factory that records every STOW-RS request a job makes (to a real server)."""

import threading
from collections.abc import Callable

from app.cloud.accounts import Account
from app.cloud.dicomweb import DicomWebClient, StowFile, StowOutcome
from tests.support.cloud_fixtures import ORTHANC_PASSWORD


class Recorder:
    """A client factory that counts the clients made and records every request's UIDs
    (as handed to the network), optionally calling ``after`` once a request returns."""

    def __init__(self, account: Account, secret: str = ORTHANC_PASSWORD,
                 after: Callable[[StowOutcome], None] | None = None) -> None:
        self.account = account
        self.secret = secret
        self.after = after
        self.requests: list[list[str]] = []
        self.clients = 0
        self._lock = threading.Lock()

    def __call__(self) -> DicomWebClient:
        recorder = self
        with self._lock:
            self.clients += 1

        class Recording(DicomWebClient):
            def store(self, files: list[StowFile]) -> StowOutcome:
                with recorder._lock:
                    recorder.requests.append([f.sop_instance_uid for f in files])
                outcome = super().store(files)
                if recorder.after is not None:
                    recorder.after(outcome)
                return outcome

        return Recording(self.account, self.secret)

    @property
    def sent(self) -> list[str]:
        """Every UID sent, once per time it was sent."""
        return [uid for request in self.requests for uid in request]
