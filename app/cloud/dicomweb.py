"""A small DICOMweb client: STOW-RS to send instances, QIDO-RS to test an account.

The STOW-RS body (multipart/related; type="application/dicom") is streamed from the
files, one chunk at a time: a 2 GB study never sits in memory. What counts as stored is
what the server lists in ReferencedSOPSequence (0008,1199), nothing else: an instance in
FailedSOPSequence (0008,1198), or in neither (Orthanc does that for files it cannot
parse), is failed.
"""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from app.cloud.accounts import Account
from app.core.errors import AuthError, RetryableError, UploadError

CHUNK = 1024 * 1024
CONNECT_TIMEOUT_S = 10.0
# A request may take as long as the upload of its bytes at this slow speed, plus a minute.
SLOWEST_BYTES_PER_S = 256 * 1024
BASE_READ_TIMEOUT_S = 60.0

_REFERENCED = "00081199"
_FAILED = "00081198"
_SOP_INSTANCE = "00081155"
_FAILURE_REASON = "00081197"
FAILURE_REASONS = {
    0x0110: "the server could not process it",
    0x0122: "the server does not accept this kind of object",
    0x0124: "the server refused it (not authorised)",
    0xA700: "the server is out of space",
    0xA900: "the file does not match its own declared type",
    0xC000: "the server could not read the file",
    0xB000: "the server stored it with changes",
    0xB007: "the server stored it with changes",
}


@dataclass(frozen=True)
class StowFile:
    """One instance to send: its UID, file and size."""

    sop_instance_uid: str
    path: Path
    size: int


@dataclass(frozen=True)
class StowOutcome:
    """What the server said about one request: confirmed UIDs, failed UIDs with reasons."""

    confirmed: frozenset[str]
    failed: dict[str, str] = field(default_factory=dict)
    status: int = 200


def read_timeout(total_bytes: int) -> float:
    """How long to wait for the answer to a request of ``total_bytes``."""
    return BASE_READ_TIMEOUT_S + total_bytes / SLOWEST_BYTES_PER_S


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


class DicomWebClient:
    """Talks to one account's DICOMweb service through a requests Session."""

    def __init__(self, account: Account, secret: str,
                 session: requests.Session | None = None) -> None:
        self.account = account
        self.session = session or requests.Session()
        if account.auth == "bearer":
            self.session.headers["Authorization"] = f"Bearer {secret}"
        else:
            self.session.auth = (account.username, secret)

    def test(self) -> None:
        """Prove the address and the credentials with a one-result study query.

        Raises AuthError or UploadError with a sentence that says which is wrong.
        """
        url = self.account.endpoint(self.account.qido_path)
        try:
            response = self.session.get(url, params={"limit": "1"},
                                        headers={"Accept": "application/dicom+json"},
                                        timeout=(CONNECT_TIMEOUT_S, BASE_READ_TIMEOUT_S))
        except requests.exceptions.SSLError:
            raise UploadError(
                f"The secure connection to {self.account.url} could not be verified; check "
                "the address (the server's certificate is not trusted)."
            ) from None
        except requests.RequestException:
            raise UploadError(
                f"{self.account.url} cannot be reached; check the address and the internet "
                "connection."
            ) from None
        if response.status_code in (401, 403):
            raise AuthError(self._auth_message())
        if response.status_code == 404:
            raise UploadError(
                f"{self.account.url} answers, but not as a DICOMweb service; check the address."
            )
        if response.status_code >= 400:
            raise UploadError(
                f"{self.account.url} answered {response.status_code} {response.reason}."
            )

    def _auth_message(self) -> str:
        what = "token" if self.account.auth == "bearer" else "user name or password"
        return (f"The {what} for {self.account.name} was not accepted; add the account "
                "again with the right one.")

    def store(self, files: list[StowFile]) -> StowOutcome:
        """Send ``files`` in one STOW-RS request and read the server's verdict.

        Raises AuthError (401/403), RetryableError (no connection, timeout, 408, 429,
        5xx); any other refusal fails every file with the server's reason.
        """
        boundary = uuid.uuid4().hex
        total = sum(f.size for f in files)
        headers = {
            "Content-Type": f'multipart/related; type="application/dicom"; boundary={boundary}',
            "Accept": "application/dicom+json",
        }
        url = self.account.endpoint(self.account.stow_path)
        try:
            response = self.session.post(
                url, data=_multipart(files, boundary), headers=headers,
                timeout=(CONNECT_TIMEOUT_S, read_timeout(total)),
            )
        except requests.exceptions.SSLError:
            raise UploadError(
                f"The secure connection to {self.account.url} could not be verified."
            ) from None
        except (requests.ConnectionError, requests.Timeout,
                requests.exceptions.ChunkedEncodingError) as exc:
            # ChunkedEncodingError: the server went away while answering (it is an
            # OSError too, but no file is at fault).
            kind = type(exc).__name__
            raise RetryableError(
                f"The connection to {self.account.url} failed ({kind})."
            ) from None
        except OSError as exc:
            raise UploadError(f"A file could not be read for sending: {exc}.") from exc
        return self._outcome(response, files)

    def _outcome(self, response: requests.Response, files: list[StowFile]) -> StowOutcome:
        status = response.status_code
        if status in (401, 403):
            raise AuthError(self._auth_message())
        if status in (408, 429) or status >= 500:
            raise RetryableError(
                f"The server is busy or failing ({status} {response.reason}).",
                _retry_after(response),
            )
        sent = {f.sop_instance_uid for f in files}
        body = _json(response)
        referenced = _uids(body.get(_REFERENCED)) & sent
        failed = {uid: reason for uid, reason in _failures(body.get(_FAILED)) if uid in sent}
        if status >= 400 and not referenced and not failed:
            reason = f"the server refused the request ({status} {response.reason})"
            return StowOutcome(frozenset(), {uid: reason for uid in sent}, status)
        for uid in sent - referenced - set(failed):
            failed[uid] = "the server did not confirm it (it may not be a valid DICOM file)"
        return StowOutcome(frozenset(referenced - set(failed)), failed, status)


def _multipart(files: list[StowFile], boundary: str) -> Iterator[bytes]:
    marker = f"--{boundary}\r\n".encode()
    for item in files:
        yield marker + b"Content-Type: application/dicom\r\n\r\n"
        with open(item.path, "rb") as fh:
            while chunk := fh.read(CHUNK):
                yield chunk
        yield b"\r\n"
    yield f"--{boundary}--\r\n".encode()


def _json(response: requests.Response) -> dict[str, Any]:
    # 4xx answers from Orthanc carry no Content-Type but parse as JSON.
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _values(element: Any) -> list[Any]:
    if not isinstance(element, dict):
        return []
    value = element.get("Value", [])
    return value if isinstance(value, list) else []


def _uids(sequence: Any) -> set[str]:
    return {
        str(uid)
        for item in _values(sequence)
        for uid in _values(item.get(_SOP_INSTANCE) if isinstance(item, dict) else None)
    }


def _failures(sequence: Any) -> Iterator[tuple[str, str]]:
    for item in _values(sequence):
        if not isinstance(item, dict):
            continue
        uids = _values(item.get(_SOP_INSTANCE))
        codes = _values(item.get(_FAILURE_REASON))
        code = int(codes[0]) if codes and str(codes[0]).isdigit() else None
        reason = FAILURE_REASONS.get(code or -1, f"the server refused it (reason {code})")
        for uid in uids:
            yield str(uid), reason
