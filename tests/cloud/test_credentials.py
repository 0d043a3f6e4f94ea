"""Secrets live in the OS keyring and nowhere else.

Promises checked: without a safe keyring Lightbox says so in one sentence and writes
nothing (no plaintext fallback of its own, also when keyrings.alt would silently be the
default); after adding accounts, uploading and failing to upload, no file under
LIGHTBOX_HOME and no output or log line holds the password or the token; `account
remove` deletes the keyring entry.
"""

import base64
import json
import logging
from pathlib import Path

import pytest
from keyring.backends import fail
from keyring.errors import KeyringLocked
from keyrings.alt.file import PlaintextKeyring  # type: ignore[import-untyped]

from app.cloud.accounts import Account
from app.cloud.credentials import (
    NO_KEYRING,
    SERVICE,
    forget_secret,
    load_secret,
    save_secret,
)
from app.cloud.dicomweb import DicomWebClient
from app.core.errors import AuthError, CredentialStoreError
from app.library.library import Library
from app.services.uploading import UploadReport, upload_studies
from tests.support.cli import PLAINTEXT, cli_env, lightbox, python
from tests.support.cloud_fixtures import ORTHANC_PASSWORD, ORTHANC_USER, DiscMaker
from tests.support.keyrings import MemoryKeyring, keyring_set_to
from tests.support.orthanc import Orthanc
from tests.support.proxy import FaultProxy
from tests.support.studies import confirmed_uids

SECRET = "Corr3ct-Horse-credentials"


def test_secret_round_trip_in_the_keyring(memory_keyring: MemoryKeyring) -> None:
    """save, load and forget go to the keyring, under the service "lightbox"."""
    save_secret("cloud", SECRET)
    assert memory_keyring.secrets == {(SERVICE, "account:cloud"): SECRET}
    assert load_secret("cloud") == SECRET
    forget_secret("cloud")
    assert memory_keyring.secrets == {}
    forget_secret("cloud")  # Nothing there: no error.


def test_missing_secret_says_add_the_account_again(memory_keyring: MemoryKeyring) -> None:
    """A secret that is not in the keyring: one sentence that says what to do."""
    with pytest.raises(CredentialStoreError,
                       match="password for the account cloud is not in the password store"):
        load_secret("cloud")


@pytest.mark.parametrize("backend_env", ["", "keyring.backends.fail.Keyring"])
def test_fail_keyring_is_one_sentence(monkeypatch: pytest.MonkeyPatch,
                                      backend_env: str) -> None:
    """keyring's "fail" backend (headless, no Secret Service), set explicitly, with or
    without PYTHON_KEYRING_BACKEND naming it: the NO_KEYRING sentence for save and load;
    forget stays quiet."""
    if backend_env:
        monkeypatch.setenv("PYTHON_KEYRING_BACKEND", backend_env)
    else:
        monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    with keyring_set_to(fail.Keyring()):  # type: ignore[no-untyped-call]
        with pytest.raises(CredentialStoreError) as saved:
            save_secret("cloud", SECRET)
        assert str(saved.value) == NO_KEYRING
        with pytest.raises(CredentialStoreError) as loaded:
            load_secret("cloud")
        assert str(loaded.value) == NO_KEYRING
        forget_secret("cloud")


def test_plaintext_keyring_not_chosen_on_purpose_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """keyrings.alt's PlaintextKeyring as the default (PYTHON_KEYRING_BACKEND unset) is
    refused with the NO_KEYRING sentence, and it writes nothing."""
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    with keyring_set_to(PlaintextKeyring()), pytest.raises(CredentialStoreError) as caught:
        save_secret("cloud", SECRET)
    assert str(caught.value) == NO_KEYRING
    assert not (tmp_path / "data").exists()


class _LockedKeyring(MemoryKeyring):
    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringLocked(f"locked while storing {password}")

    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringLocked("locked")


def test_locked_keyring_says_unlock_it_without_the_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A keyring that refuses (locked): a sentence that says unlock it, never the secret,
    even when the backend's own message quotes it."""
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    with keyring_set_to(_LockedKeyring()):
        with pytest.raises(CredentialStoreError) as saved:
            save_secret("cloud", SECRET)
        with pytest.raises(CredentialStoreError) as loaded:
            load_secret("cloud")
    assert "unlock it and try again" in str(saved.value)
    assert "unlock it and try again" in str(loaded.value)
    assert SECRET not in str(saved.value)
    assert saved.value.__cause__ is None and saved.value.__suppress_context__


# -- the command line, in its own process -------------------------------------------------
def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


@pytest.mark.parametrize("backend", [None, "keyring.backends.fail.Keyring"])
def test_cli_without_a_safe_keyring_exits_2_and_writes_nothing(
    tmp_path: Path, backend: str | None
) -> None:
    """`account add` with keyrings.alt installed but PYTHON_KEYRING_BACKEND unset (the
    default would be a plaintext file), and with the "fail" backend named: exit 2, the
    NO_KEYRING sentence alone on stderr, no account and no secret file anywhere."""
    env = cli_env(tmp_path, backend)
    default = python(env, "import keyring; k = keyring.get_keyring(); "
                           "print(type(k).__module__ + '.' + type(k).__name__)")
    assert default == (backend or PLAINTEXT)  # The situation this test is about.
    done = lightbox(env, "account", "add", "cloud", "--url", "http://127.0.0.1:9/dw",
                     "--username", "alice", "--password-stdin", stdin=SECRET + "\n")
    assert done.returncode == 2
    assert done.stderr == NO_KEYRING + "\n"
    assert done.stdout == ""
    assert _files(tmp_path / "home") == []
    assert _files(tmp_path / "xdg-data") == []


def _leaks(texts: dict[str, bytes], secrets: list[str]) -> list[str]:
    """Where any form of a secret (as typed, base64, or in a Basic header) appears."""
    forms = []
    for secret in secrets:
        forms += [secret.encode(), base64.b64encode(secret.encode()),
                  base64.b64encode(f"{ORTHANC_USER}:{secret}".encode())]
    return [f"{where} holds {form!r}" for where, text in texts.items() for form in forms
            if form in text]


def test_no_secret_in_any_file_output_or_error(
    tmp_path: Path, orthanc: Orthanc, discs: DiscMaker
) -> None:
    """With a keyring chosen on purpose (PlaintextKeyring in a temporary XDG_DATA_HOME):
    add a password account, a token account and one with a wrong password; test them,
    upload with each (the last fails); then no file under LIGHTBOX_HOME and no stdout or
    stderr holds any form of the secrets; accounts.json has no secret field; `account
    remove` deletes the keyring entry."""
    env = cli_env(tmp_path, PLAINTEXT)
    token = "tok-" + ORTHANC_PASSWORD[::-1]
    wrong = ORTHANC_PASSWORD + "-wrong"
    outputs: dict[str, bytes] = {}

    def run(*args: str, stdin: str = "", code: int = 0) -> str:
        done = lightbox(env, *args, stdin=stdin)
        name = f"run {len(outputs) // 2} ({' '.join(args[:4])})"
        outputs[f"stdout of {name}"] = done.stdout.encode()
        outputs[f"stderr of {name}"] = done.stderr.encode()
        assert done.returncode == code, (args, done.stdout, done.stderr)
        return done.stdout + done.stderr

    with FaultProxy(("127.0.0.1", orthanc.http_port), only=lambda _m, _p: False,
                    bearer=(token, ORTHANC_USER, ORTHANC_PASSWORD)) as proxy:
        run("account", "add", "cloud", "--url", orthanc.dicomweb, "--username", ORTHANC_USER,
            "--password-stdin", stdin=ORTHANC_PASSWORD + "\n")
        run("account", "add", "tok", "--url", proxy.url + "/dicom-web", "--token-stdin",
            stdin=token + "\n")
        run("account", "add", "wrong", "--url", orthanc.dicomweb, "--username", ORTHANC_USER,
            "--password-stdin", stdin=wrong + "\n")
        run("import", str(discs()), "--json")
        with Library(tmp_path / "home") as library:
            study = library.list_studies()[0].study_instance_uid
        assert "works" in run("account", "test", "cloud")
        assert "works" in run("account", "test", "tok")
        assert "not accepted" in run("account", "test", "wrong", code=2)
        run("upload", study, "--account", "cloud")
        run("upload", study, "--account", "tok", "--json")
        assert "not accepted" in run("upload", study, "--account", "wrong", code=2)
        assert any(s.authorization == f"Bearer {token}" for s in proxy.requests_seen())
    home = tmp_path / "home"
    assert len(confirmed_uids(home, "cloud")) == len(confirmed_uids(home, "tok")) == 11
    assert confirmed_uids(home, "wrong") == set()

    files = {str(p): p.read_bytes() for p in _files(home)}
    assert any(name.endswith("library.sqlite") for name in files)
    assert len(outputs) == 2 * 10
    assert _leaks(files | outputs, [ORTHANC_PASSWORD, token, wrong]) == []
    accounts = json.loads((home / "accounts.json").read_text(encoding="utf-8"))["accounts"]
    assert [sorted(a) for a in accounts] == [
        ["auth", "name", "qido_path", "stow_path", "url", "username", "viewer_url"]] * 3
    # The check can see a secret where one is: the keyring file holds them (base64).
    keyring_files = {str(p): p.read_bytes() for p in _files(tmp_path / "xdg-data")}
    assert _leaks(keyring_files, [token]) != []

    get = ("import keyring; print(keyring.get_password('lightbox', 'account:{}'))")
    assert python(env, get.format("cloud")) == ORTHANC_PASSWORD
    run("account", "remove", "cloud")
    assert python(env, get.format("cloud")) == "None"
    assert python(env, get.format("tok")) == token


def test_no_secret_in_logs_or_errors_in_process(
    cloud_library: Library, small_study: str, orthanc: Orthanc,
    memory_keyring: MemoryKeyring, caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """With every logger at DEBUG (urllib3's included), an upload and a refused one leave
    no trace of the password in the log records or in the exception sentence."""
    caplog.set_level(logging.DEBUG)
    wrong = ORTHANC_PASSWORD + "-wrong"
    account = Account("cloud", orthanc.dicomweb, "basic", ORTHANC_USER)
    def make() -> DicomWebClient:
        return DicomWebClient(account, ORTHANC_PASSWORD)
    report = list(upload_studies([small_study], account, cloud_library, make))[-1]
    assert isinstance(report, UploadReport) and report.studies[0].complete
    refused = Account("refused", orthanc.dicomweb, "basic", ORTHANC_USER)
    with pytest.raises(AuthError) as caught:
        list(upload_studies([small_study], refused, cloud_library,
                            lambda: DicomWebClient(refused, wrong)))
    assert any("urllib3" in r.name for r in caplog.records)  # The logs were captured.
    captured = capsys.readouterr()
    texts = {"log": caplog.text.encode(), "error": str(caught.value).encode(),
             "out": (captured.out + captured.err).encode()}
    assert _leaks(texts, [ORTHANC_PASSWORD, wrong]) == []

