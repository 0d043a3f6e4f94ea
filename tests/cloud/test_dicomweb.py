"""The DICOMweb client: STOW-RS bodies streamed from files, and the truth from the server.

Promises checked: the body is a well-formed multipart/related stream of the files' exact
bytes, sent chunked (never built in memory); an instance counts as stored only when its
UID is in ReferencedSOPSequence *and* was sent; FailedSOPSequence reasons are kept; an
instance in neither sequence is failed; 401/403 are AuthError, 408/429/5xx and broken
connections are retryable (with Retry-After); `test()` says whether the address or the
credentials are wrong; Bearer tokens work; certificates are verified.

Against a real Orthanc (inside the test network namespace) and a canned local server for
the answers Orthanc cannot be made to give.
"""

import email.parser
import email.policy
import subprocess
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from app.cloud import dicomweb
from app.cloud.accounts import Account
from app.cloud.dicomweb import (
    FAILURE_REASONS,
    DicomWebClient,
    RetryableError,
    StowFile,
    read_timeout,
)
from app.core.errors import AuthError, UploadError
from app.library.library import Library
from tests.conftest import tool
from tests.support.canned import Canned, CannedServer, Recorded
from tests.support.cloud_fixtures import ORTHANC_PASSWORD, ORTHANC_USER
from tests.support.orthanc import Orthanc, free_port
from tests.support.proxy import FaultProxy
from tests.support.studies import study_files

REFERENCED, FAILED, SOP_UID, REASON = "00081199", "00081198", "00081155", "00081197"
NOT_CONFIRMED = "the server did not confirm it (it may not be a valid DICOM file)"


def _stow_files(home: Path, study: str) -> list[StowFile]:
    return [StowFile(uid, path, path.stat().st_size)
            for uid, path in sorted(study_files(home, study).items())]


def _client(url: str, secret: str = ORTHANC_PASSWORD, auth: str = "basic") -> DicomWebClient:
    account = Account("cloud", url, auth, ORTHANC_USER if auth == "basic" else "")  # type: ignore[arg-type]
    return DicomWebClient(account, secret)


def _sequence(tag: str, uids: list[str], reason: int | None = None) -> dict[str, Any]:
    items = []
    for uid in uids:
        item: dict[str, Any] = {SOP_UID: {"vr": "UI", "Value": [uid]}}
        if reason is not None:
            item[REASON] = {"vr": "US", "Value": [reason]}
        items.append(item)
    return {tag: {"vr": "SQ", "Value": items}}


def _fake_files(tmp_path: Path, count: int, size: int = 1000) -> list[StowFile]:
    files = []
    for n in range(count):
        path = tmp_path / f"f{n}.dcm"
        path.write_bytes(bytes([n % 251]) * size)
        files.append(StowFile(f"1.2.3.{n}", path, size))
    return files


# -- against Orthanc ----------------------------------------------------------------------
def test_store_is_confirmed_by_orthanc_and_qido_lists_it(
    orthanc: Orthanc, cloud_library: Library, small_study: str, cloud_home: Path
) -> None:
    """One STOW-RS request of a whole study: 200, every UID confirmed, none failed, and
    Orthanc's QIDO lists exactly those instances, stored byte for byte."""
    files = _stow_files(cloud_home, small_study)
    outcome = _client(orthanc.dicomweb).store(files)
    assert outcome.status == 200
    assert outcome.confirmed == {f.sop_instance_uid for f in files}
    assert outcome.failed == {}
    assert orthanc.qido_instances(small_study) == outcome.confirmed
    assert orthanc.stored_bytes(files[0].sop_instance_uid) == files[0].path.read_bytes()


def test_storing_again_is_harmless(
    orthanc: Orthanc, cloud_library: Library, small_study: str, cloud_home: Path
) -> None:
    """Re-sending instances Orthanc already has: confirmed again, nothing duplicated."""
    files = _stow_files(cloud_home, small_study)
    client = _client(orthanc.dicomweb)
    client.store(files)
    again = client.store(files)
    assert again.status == 200
    assert again.confirmed == {f.sop_instance_uid for f in files} and again.failed == {}
    assert orthanc.instance_count() == len(files)


def test_a_file_orthanc_cannot_parse_is_failed_the_others_confirmed(
    orthanc: Orthanc, cloud_library: Library, small_study: str, cloud_home: Path,
    tmp_path: Path,
) -> None:
    """A non-DICOM part: Orthanc answers 400, lists the good ones in
    ReferencedSOPSequence and the bad one in neither sequence; the client fails it with
    a reason and confirms the others."""
    files = _stow_files(cloud_home, small_study)[:4]
    junk = tmp_path / "junk.dcm"
    junk.write_bytes(b"this is not a DICOM file\n" * 100)
    bad = StowFile("1.2.826.0.1.3680043.99.1", junk, junk.stat().st_size)
    outcome = _client(orthanc.dicomweb).store([*files[:2], bad, *files[2:]])
    assert outcome.status == 400
    assert outcome.confirmed == {f.sop_instance_uid for f in files}
    assert outcome.failed == {bad.sop_instance_uid: NOT_CONFIRMED}
    assert orthanc.qido_instances(small_study) == outcome.confirmed


def test_only_uids_that_were_sent_count(
    orthanc: Orthanc, cloud_library: Library, small_study: str, cloud_home: Path
) -> None:
    """A file sent under a UID that is not its own: Orthanc confirms the file's real UID,
    which was not sent, so the claimed UID is failed (confirmed = referenced ∩ sent)."""
    real = _stow_files(cloud_home, small_study)[0]
    claimed = StowFile("1.2.826.0.1.3680043.99.2", real.path, real.size)
    outcome = _client(orthanc.dicomweb).store([claimed])
    assert orthanc.qido_instances(small_study) == {real.sop_instance_uid}
    assert outcome.confirmed == frozenset()
    assert outcome.failed == {claimed.sop_instance_uid: NOT_CONFIRMED}


def test_wrong_password_is_an_auth_error_naming_the_account(
    orthanc: Orthanc, cloud_library: Library, small_study: str, cloud_home: Path
) -> None:
    """401 from Orthanc, for a query and for a whole study being streamed: AuthError with
    the sentence (never the password), nothing stored."""
    wrong = ORTHANC_PASSWORD + "x"
    client = _client(orthanc.dicomweb, wrong)
    with pytest.raises(AuthError) as tested:
        client.test()
    with pytest.raises(AuthError) as stored:
        client.store(_stow_files(cloud_home, small_study))
    sentence = ("The user name or password for cloud was not accepted; add the account "
                "again with the right one.")
    assert str(tested.value) == str(stored.value) == sentence
    assert orthanc.instance_count() == 0


def test_test_proves_address_and_credentials(orthanc: Orthanc) -> None:
    """`test()` passes with the right address and password; a DICOMweb path that is not
    there says the address is wrong; a port nobody listens on says it cannot be reached."""
    _client(orthanc.dicomweb).test()
    with pytest.raises(UploadError, match="answers, but not as a DICOMweb service"):
        _client(orthanc.base + "/not-dicom-web").test()
    with pytest.raises(UploadError, match="cannot be reached; check the address") as refused:
        _client(f"http://127.0.0.1:{free_port()}/dicom-web").test()
    assert not isinstance(refused.value, AuthError)


def test_bearer_token_reaches_a_server_that_checks_it(
    orthanc: Orthanc, cloud_library: Library, small_study: str, cloud_home: Path
) -> None:
    """A Bearer account sends ``Authorization: Bearer TOKEN`` (no Basic credentials): a
    proxy that accepts only that token (and logs in to Orthanc for it) lets the query and
    the upload through; a wrong token is an AuthError that says "token"."""
    token = "tok-" + ORTHANC_PASSWORD
    with FaultProxy(("127.0.0.1", orthanc.http_port), only=lambda _m, _p: False,
                    bearer=(token, ORTHANC_USER, ORTHANC_PASSWORD)) as proxy:
        client = _client(proxy.url + "/dicom-web", token, auth="bearer")
        assert client.session.auth is None
        client.test()
        files = _stow_files(cloud_home, small_study)
        outcome = client.store(files)
        with pytest.raises(AuthError, match="The token for cloud was not accepted"):
            _client(proxy.url + "/dicom-web", "tok-wrong", auth="bearer").test()
        seen = [s.authorization for s in proxy.seen]
    assert outcome.confirmed == {f.sop_instance_uid for f in files}
    assert orthanc.qido_instances(small_study) == outcome.confirmed
    assert seen == [f"Bearer {token}", f"Bearer {token}", "Bearer tok-wrong"]


# -- against a canned server --------------------------------------------------------------
def test_body_is_a_chunked_multipart_stream_of_the_exact_file_bytes(tmp_path: Path) -> None:
    """The request: POST to the STOW path, chunked (no Content-Length: streamed),
    ``multipart/related; type="application/dicom"`` with one part per file holding
    exactly its bytes, and an Accept of DICOM JSON."""
    files = _fake_files(tmp_path, 3, size=3 * 1024 * 1024 + 17)

    def answer(request: Recorded) -> Canned:
        return Canned.json(200, _sequence(REFERENCED, [f.sop_instance_uid for f in files]))

    with CannedServer(answer) as server:
        outcome = _client(server.url + "/dw").store(files)
    assert outcome.confirmed == {f.sop_instance_uid for f in files}
    (request,) = server.received
    assert (request.method, request.path) == ("POST", "/dw/studies")
    assert request.headers.get("Transfer-Encoding") == "chunked"
    assert "Content-Length" not in request.headers
    assert request.headers["Accept"] == "application/dicom+json"
    content_type = request.headers["Content-Type"]
    assert content_type.startswith('multipart/related; type="application/dicom"; boundary=')
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + request.body)
    parts = list(message.iter_parts())
    assert [p.get_content_type() for p in parts] == ["application/dicom"] * 3
    assert [p.get_payload(decode=True) for p in parts] == [f.path.read_bytes() for f in files]


def test_multipart_body_is_streamed_in_small_pieces(tmp_path: Path) -> None:
    """Building the body of a 40 MB request never holds more than a chunk or two: the
    largest piece is CHUNK bytes and Python's peak allocation stays under 3 MB."""
    files = _fake_files(tmp_path, 2, size=20 * 1024 * 1024)
    tracemalloc.start()
    try:
        largest = total = 0
        for piece in dicomweb._multipart(files, "b" * 32):
            largest = max(largest, len(piece))
            total += len(piece)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total > 40 * 1024 * 1024
    assert largest == dicomweb.CHUNK
    assert peak < 3 * 1024 * 1024


def test_failed_sequence_reasons_and_the_rest(tmp_path: Path) -> None:
    """Referenced ∩ sent is confirmed (a UID not sent is ignored); FailedSOPSequence
    gives each its reason by code; one in both sequences is failed; one in neither is
    failed as not confirmed."""
    files = _fake_files(tmp_path, 5)
    a, b, c, d, e = (f.sop_instance_uid for f in files)
    body = (_sequence(REFERENCED, [a, d, "9.9.9.not.sent"])
            | _sequence(FAILED, [b], reason=0xA700))
    body[FAILED]["Value"] += _sequence(FAILED, [c], reason=0x0111)[FAILED]["Value"]
    body[FAILED]["Value"] += _sequence(FAILED, [d], reason=0xC000)[FAILED]["Value"]
    with CannedServer(lambda _r: Canned.json(409, body)) as server:
        outcome = _client(server.url).store(files)
    assert outcome.status == 409
    assert outcome.confirmed == {a}
    assert outcome.failed == {
        b: FAILURE_REASONS[0xA700],
        c: "the server refused it (reason 273)",
        d: FAILURE_REASONS[0xC000],
        e: NOT_CONFIRMED,
    }
    assert FAILURE_REASONS[0xA700] == "the server is out of space"


@pytest.mark.parametrize(("status", "body"), [
    (413, b""), (400, b"<html>bad request</html>"), (415, b"{}"),
])
def test_a_whole_request_refused_fails_every_file_with_the_status(
    tmp_path: Path, status: int, body: bytes
) -> None:
    """Another 4xx with no per-instance detail: every file failed with the status and
    the server's reason phrase; nothing confirmed; not retried."""
    files = _fake_files(tmp_path, 2)
    with CannedServer(lambda _r: Canned(status, body)) as server:
        outcome = _client(server.url).store(files)
        assert len(server.received) == 1
    assert outcome.confirmed == frozenset()
    phrase = {413: "Request Entity Too Large", 400: "Bad Request",
              415: "Unsupported Media Type"}[status]
    reason = f"the server refused the request ({status} {phrase})"
    assert outcome.failed == {f.sop_instance_uid: reason for f in files}


def test_success_without_a_usable_body_confirms_nothing(tmp_path: Path) -> None:
    """200 with a body that is not DICOM JSON: nothing is assumed stored."""
    files = _fake_files(tmp_path, 2)
    with CannedServer(lambda _r: Canned(200, b"OK")) as server:
        outcome = _client(server.url).store(files)
    assert outcome.confirmed == frozenset()
    assert set(outcome.failed.values()) == {NOT_CONFIRMED}


@pytest.mark.parametrize(("status", "headers", "retry_after"), [
    (503, {"Retry-After": "7"}, 7.0),
    (429, {"Retry-After": "0.5"}, 0.5),
    (429, {}, None),
    (408, {}, None),
    (500, {}, None),
    (502, {"Retry-After": "Wed, 21 Oct 2037 07:28:00 GMT"}, None),
])
def test_busy_or_failing_server_is_retryable_with_retry_after(
    tmp_path: Path, status: int, headers: dict[str, str], retry_after: float | None
) -> None:
    """408, 429 and 5xx raise RetryableError carrying the Retry-After seconds (a date form
    is not understood: the caller's own backoff applies)."""
    with (CannedServer(lambda _r: Canned(status, b"", headers)) as server,
          pytest.raises(RetryableError) as caught):
        _client(server.url).store(_fake_files(tmp_path, 1))
    assert caught.value.retry_after == retry_after
    assert f"({status} " in str(caught.value)


@pytest.mark.parametrize("status", [401, 403])
def test_refused_credentials_stop_at_once(tmp_path: Path, status: int) -> None:
    """401 and 403: AuthError, for the upload and for `test()`."""
    with CannedServer(lambda _r: Canned(status)) as server:
        with pytest.raises(AuthError):
            _client(server.url).store(_fake_files(tmp_path, 1))
        with pytest.raises(AuthError):
            _client(server.url).test()


def test_test_reports_other_answers_plainly() -> None:
    """`test()` on a server that answers 500: the status in the sentence, not AuthError."""
    with CannedServer(lambda _r: Canned(500)) as server:
        with pytest.raises(UploadError, match="answered 500 Internal Server Error") as caught:
            _client(server.url).test()
        assert not isinstance(caught.value, AuthError)
        (request,) = server.received
    assert request.path == "/studies?limit=1"
    assert request.headers["Accept"] == "application/dicom+json"


def test_connection_refused_is_retryable(tmp_path: Path) -> None:
    """No server at the address: RetryableError (the upload tries again later)."""
    with pytest.raises(RetryableError, match=r"The connection to .* failed"):
        _client(f"http://127.0.0.1:{free_port()}").store(_fake_files(tmp_path, 1))


def test_timeouts_grow_with_the_request_size() -> None:
    """A minute plus the time the bytes take at 256 KB/s."""
    assert read_timeout(0) == 60.0
    assert read_timeout(100 * 1024 * 1024) == 60.0 + 400.0


def test_untrusted_certificate_is_refused(tmp_path: Path) -> None:
    """HTTPS with a self-signed certificate: the connection is refused with a sentence
    about the certificate (verification is on)."""
    openssl = tool("openssl", "openssl")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    with CannedServer(lambda _r: Canned(200, b"[]")) as server:
        url = server.use_tls(cert, key)
        with pytest.raises(UploadError, match="could not be verified"):
            _client(url).test()
        with pytest.raises(UploadError, match="could not be verified") as caught:
            _client(url).store(_fake_files(tmp_path, 1))
        assert not isinstance(caught.value, RetryableError)
        assert server.received == []


def test_a_server_gone_while_answering_is_retryable(tmp_path: Path) -> None:
    """The server reads the request, starts a chunked answer and dies (as a killed
    Orthanc does): RetryableError, never "a file could not be read"."""
    import socket
    import threading

    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def answer_and_die() -> None:
        connection, _ = listener.accept()
        with connection:
            received = b""
            while not received.endswith(b"0\r\n\r\n"):
                chunk = connection.recv(65536)
                if not chunk:
                    break
                received += chunk
            connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/dicom+json\r\n"
                               b"Transfer-Encoding: chunked\r\n\r\n40\r\n{\"000")
        listener.close()

    thread = threading.Thread(target=answer_and_die, daemon=True)
    thread.start()
    with pytest.raises(RetryableError, match="ChunkedEncodingError"):
        _client(f"http://127.0.0.1:{port}").store(_fake_files(tmp_path, 2))
    thread.join(10)
