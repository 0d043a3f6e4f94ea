"""`lightbox link` and the `link` of `upload --json`, against Orthanc.

Promises checked (DESIGN.md): an account may carry a viewer address (a template or a
preset's name); `upload --json` gives each study's link once every instance is
confirmed, else null; `lightbox link` exits 0 with the link, 1 with one sentence when the
study is not completely on the account, 2 when the account has no viewer address; a link
never carries the account's secret; the library remembers what was shared.
"""

import io
import json
import os
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from app.cli import main
from app.library.library import Library
from tests.support.cloud_fixtures import (
    ACCOUNT,
    ORTHANC_PASSWORD,
    ORTHANC_USER,
    cloud_home,
    cloud_library,
    discs,
    memory_keyring,
    orthanc,
    orthanc_server,
    small_study,
)
from tests.support.keyrings import MemoryKeyring
from tests.support.orthanc import Orthanc
from tests.support.studies import study_files

__all__ = ["cloud_home", "cloud_library", "discs", "memory_keyring", "orthanc",
           "orthanc_server", "small_study"]


def _cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str,
         stdin: str = "") -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _add(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, url: str,
         *extra: str, name: str = ACCOUNT) -> tuple[int, str, str]:
    return _cli(capsys, monkeypatch, "account", "add", name, "--url", url, "--username",
                ORTHANC_USER, "--password-stdin", *extra, stdin=ORTHANC_PASSWORD + "\n")


@pytest.fixture
def with_viewer(orthanc: Orthanc, cloud_home: Path, memory_keyring: MemoryKeyring,
                capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> str:
    """The account ``cloud`` with the OHIF preset; its template."""
    code, out, err = _add(capsys, monkeypatch, orthanc.dicomweb, "--viewer-url", "ohif")
    assert (code, err) == (0, "")
    template = orthanc.dicomweb.removesuffix("/dicom-web/").removesuffix("/dicom-web") \
        + "/viewer?StudyInstanceUIDs={StudyInstanceUID}"
    assert out.endswith(f"Links for doctors will look like: {template}\n")
    return template


def test_link_after_a_complete_upload(
    with_viewer: str, small_study: str, cloud_library: Library,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Before the upload `link` exits 1 saying how far it got; `upload --json` carries the
    filled link; `link` then prints it (exit 0) and its JSON; both are remembered; `account
    list` shows the viewer address."""
    code, out, err = _cli(capsys, monkeypatch, "link", small_study, "--account", ACCOUNT)
    assert (code, out) == (1, "")
    assert err == ("cloud has confirmed 0 of the 11 images of this study, so a doctor would "
                   "not see all of it; upload it to cloud first.\n")

    code, out, err = _cli(capsys, monkeypatch, "upload", small_study, "--account", ACCOUNT,
                          "--json")
    assert (code, err) == (0, "")
    (study,) = json.loads(out)["studies"]
    expected = with_viewer.replace("{StudyInstanceUID}", small_study)
    assert study["link"] == expected
    assert parse_qs(urlsplit(study["link"]).query) == {"StudyInstanceUIDs": [small_study]}

    code, out, err = _cli(capsys, monkeypatch, "link", small_study, "--account", ACCOUNT)
    assert (code, out, err) == (0, expected + "\n", "")
    code, out, err = _cli(capsys, monkeypatch, "link", small_study, "--account", ACCOUNT,
                          "--json")
    assert code == 0
    assert json.loads(out) == {"study_instance_uid": small_study, "account": ACCOUNT,
                               "link": expected}
    shares = cloud_library.shares(small_study)
    assert [(s.account, s.link, s.how) for s in shares] == [
        (ACCOUNT, expected, "command line")] * 2
    assert shares[0].shared_at.endswith("+00:00")

    code, out, _ = _cli(capsys, monkeypatch, "account", "list")
    assert f"  viewer: {with_viewer}\n" in out
    for text in (out, json.dumps(study)):
        assert ORTHANC_PASSWORD not in text


def test_partial_upload_has_no_link(
    with_viewer: str, cloud_home: Path, small_study: str,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One stored file damaged: the upload's link is null and `link` exits 1 (10 of 11)."""
    files = study_files(cloud_home, small_study)
    bad = sorted(files)[0]
    os.chmod(files[bad], 0o644)
    files[bad].write_bytes(b"not DICOM any more\n" * 50)
    code, out, _ = _cli(capsys, monkeypatch, "upload", small_study, "--account", ACCOUNT,
                        "--json")
    assert code == 1
    assert json.loads(out)["studies"][0]["link"] is None
    code, out, err = _cli(capsys, monkeypatch, "link", small_study, "--account", ACCOUNT,
                          "--json")
    assert (code, out) == (1, "")
    assert "confirmed 10 of the 11 images" in err


def test_account_without_viewer_address_exits_2(
    orthanc: Orthanc, cloud_home: Path, memory_keyring: MemoryKeyring, small_study: str,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No viewer address: the upload's link is null; `link` exits 2 with one sentence;
    an unknown study exits 2 too."""
    assert _add(capsys, monkeypatch, orthanc.dicomweb)[0] == 0
    code, out, _ = _cli(capsys, monkeypatch, "upload", small_study, "--account", ACCOUNT,
                        "--json")
    assert code == 0 and json.loads(out)["studies"][0]["link"] is None
    code, out, err = _cli(capsys, monkeypatch, "link", small_study, "--account", ACCOUNT)
    assert (code, out) == (2, "")
    assert err == ("The account cloud has no viewer address, so there is no link to give; "
                   "add one to the account (its viewer's address).\n")
    capsys.readouterr()


def test_unknown_study_exits_2(
    with_viewer: str, cloud_library: Library, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A study the library does not hold: exit 2, one sentence."""
    code, out, err = _cli(capsys, monkeypatch, "link", "1.2.3.4", "--account", ACCOUNT)
    assert (code, out, err) == (2, "", "There is no study 1.2.3.4 in the library.\n")


@pytest.mark.parametrize(("viewer", "sentence"), [
    ("https://viewer.example.org/s/{StudyInstanceUID}?token=" + ORTHANC_PASSWORD,
     "holds the account's password or token"),
    ("http://viewer.example.org/s/{StudyInstanceUID}", "must use HTTPS"),
    ("https://viewer.example.org/s/", "must hold {StudyInstanceUID}"),
])
def test_unsafe_viewer_addresses_are_refused(
    orthanc: Orthanc, cloud_home: Path, memory_keyring: MemoryKeyring, viewer: str,
    sentence: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A template carrying the secret, plain HTTP to another computer or no placeholder:
    exit 2, one sentence, nothing saved (neither account nor secret)."""
    code, out, err = _add(capsys, monkeypatch, orthanc.dicomweb, "--viewer-url", viewer)
    assert (code, out) == (2, "")
    assert sentence in err and err.count("\n") == 1
    assert ORTHANC_PASSWORD not in err
    assert memory_keyring.secrets == {}
    assert not (cloud_home / "accounts.json").exists()
