"""Accounts: HTTPS only (plain HTTP to this computer alone), no secret in accounts.json,
and `lightbox account add/list/remove` as the contract in DESIGN.md says."""

import io
import json
from pathlib import Path

import pytest

from app.cli import main
from app.cloud.accounts import Account, AccountBook, check_url, is_loopback
from app.cloud.credentials import SERVICE
from app.core.errors import AccountError
from tests.support.keyrings import MemoryKeyring

HTTPS_ONLY = "Images may only be sent over HTTPS"
SECRET = "Tr0ub4dor-account-test"


def _cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str,
         stdin: str = "") -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("url", [
    "https://cloud.example.org/dicom-web",
    "http://127.0.0.1:8042/dicom-web",
    "http://127.3.4.5/dicom-web",
    "http://localhost:8042/dicom-web",
    "http://[::1]:8042/dicom-web",
])
def test_https_and_loopback_http_are_accepted(url: str) -> None:
    """HTTPS anywhere; plain HTTP only to 127.0.0.0/8, ::1 and localhost."""
    assert check_url(f"  {url} ") == url


@pytest.mark.parametrize("url", [
    "http://cloud.example.org/dicom-web",
    "http://10.0.0.7/dicom-web",
    "http://192.168.1.20:8042/dicom-web",
    "http://[2001:db8::1]/dicom-web",
    "http://127.0.0.1.example.org/dicom-web",
])
def test_plain_http_to_another_computer_is_refused(url: str) -> None:
    """Plain HTTP to anything but this computer is refused with the HTTPS sentence."""
    with pytest.raises(AccountError, match=HTTPS_ONLY):
        check_url(url)


@pytest.mark.parametrize("url", ["ftp://example.org/x", "cloud.example.org", "https://"])
def test_what_is_not_a_web_address_is_refused(url: str) -> None:
    """Something that is not an http(s) address is refused, with an example of one."""
    with pytest.raises(AccountError, match="is not a web address"):
        check_url(url)


def test_credentials_in_the_address_are_refused_without_repeating_them() -> None:
    """A password in the URL is refused, and the sentence does not quote it."""
    with pytest.raises(AccountError) as caught:
        check_url(f"https://alice:{SECRET}@cloud.example.org/dicom-web")
    assert SECRET not in str(caught.value)
    assert "--username" in str(caught.value)


def test_loopback_detection() -> None:
    """is_loopback: names and addresses of this computer only."""
    assert is_loopback("localhost") and is_loopback("127.0.0.1") and is_loopback("::1")
    assert is_loopback("[::1]")
    assert not is_loopback("10.0.0.1") and not is_loopback("example.org")
    assert not is_loopback("localhost.example.org")


def test_account_book_round_trip_keeps_no_secret(tmp_path: Path) -> None:
    """Accounts are listed by name, replaced by name, removed; the file has no secret
    field and no temporary file is left behind."""
    book = AccountBook(tmp_path)
    assert book.all() == []
    first = Account("work", "https://pacs.example.org/dicom-web", "basic", "alice")
    second = Account("Cloud", "https://cloud.example.org/dw", "bearer", "",
                     stow_path="stow/studies", qido_path="qido/studies")
    book.add(first)
    book.add(second)
    book.add(Account("work", "https://pacs2.example.org/dicom-web", "basic", "bob"))
    assert [a.name for a in book.all()] == ["Cloud", "work"]
    assert book.get("work").url == "https://pacs2.example.org/dicom-web"
    assert book.get("Cloud").endpoint(second.stow_path) == "https://cloud.example.org/dw/stow/studies"
    data = json.loads((tmp_path / "accounts.json").read_text(encoding="utf-8"))
    for item in data["accounts"]:
        assert set(item) == {"name", "url", "auth", "username", "stow_path", "qido_path",
                             "viewer_url"}
    assert list(tmp_path.iterdir()) == [tmp_path / "accounts.json"]
    book.remove("Cloud")
    assert [a.name for a in book.all()] == ["work"]
    with pytest.raises(AccountError, match=r"no account called Cloud \(accounts: work\)"):
        book.get("Cloud")
    with pytest.raises(AccountError, match="no account called nobody"):
        book.remove("nobody")


@pytest.mark.parametrize("name", ["", " leading", "a/b", "x" * 65, "../up"])
def test_bad_account_names_are_refused(tmp_path: Path, name: str) -> None:
    """Names that could not be a file or keyring key cleanly are refused; nothing written."""
    with pytest.raises(AccountError, match="An account name is 1 to 64"):
        AccountBook(tmp_path).add(Account(name, "https://example.org", "basic", "a"))
    assert not (tmp_path / "accounts.json").exists()


def test_unreadable_account_list_is_one_sentence(tmp_path: Path) -> None:
    """A damaged accounts.json is reported with its path, not a traceback."""
    (tmp_path / "accounts.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(AccountError, match="cannot be read"):
        AccountBook(tmp_path).all()


def test_cli_refuses_plain_http_to_another_computer(
    cloud_home: Path, memory_keyring: MemoryKeyring, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`account add` with http:// to a non-loopback host: exit 2, the HTTPS sentence, and
    neither the account nor the secret is kept."""
    code, out, err = _cli(capsys, monkeypatch, "account", "add", "cloud", "--url",
                          "http://cloud.example.org/dicom-web", "--username", "alice",
                          "--password-stdin", stdin=SECRET + "\n")
    assert code == 2
    assert HTTPS_ONLY in err and out == ""
    assert SECRET not in err
    assert memory_keyring.secrets == {}
    assert not (cloud_home / "accounts.json").exists()


def test_cli_accepts_loopback_http_and_keeps_the_secret_in_the_keyring(
    cloud_home: Path, memory_keyring: MemoryKeyring, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`account add` to http://127.0.0.1: exit 0; the secret is in the keyring only;
    `account list` shows the account without it; `account remove` deletes both."""
    code, out, err = _cli(capsys, monkeypatch, "account", "add", "cloud", "--url",
                          "http://127.0.0.1:8042/dicom-web", "--username", "alice",
                          "--password-stdin", stdin=SECRET + "\r\n")
    assert (code, err) == (0, "")
    assert "Added the account cloud" in out and SECRET not in out
    assert memory_keyring.secrets == {(SERVICE, "account:cloud"): SECRET}
    assert SECRET not in (cloud_home / "accounts.json").read_text(encoding="utf-8")
    assert AccountBook(cloud_home).get("cloud") == Account(
        "cloud", "http://127.0.0.1:8042/dicom-web", "basic", "alice")

    code, out, _ = _cli(capsys, monkeypatch, "account", "list")
    assert code == 0
    assert out == "cloud: http://127.0.0.1:8042/dicom-web (basic as alice)\n"

    code, out, _ = _cli(capsys, monkeypatch, "account", "remove", "cloud")
    assert code == 0 and "Removed the account cloud" in out
    assert memory_keyring.secrets == {}
    assert AccountBook(cloud_home).all() == []


def test_cli_token_account_is_bearer(
    cloud_home: Path, memory_keyring: MemoryKeyring, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`--token-stdin` makes a Bearer account; no user name is needed."""
    code, _, err = _cli(capsys, monkeypatch, "account", "add", "tok", "--url",
                        "https://cloud.example.org/dicom-web", "--token-stdin",
                        stdin="tok-123\n")
    assert (code, err) == (0, "")
    assert AccountBook(cloud_home).get("tok").auth == "bearer"
    assert memory_keyring.secrets == {(SERVICE, "account:tok"): "tok-123"}


@pytest.mark.parametrize(("args", "stdin", "message"), [
    (["--username", "a", "--password-stdin"], "\n",
     "The password or token on standard input is empty."),
    (["--password-stdin"], "pw\n", "A password needs a user name: add --username."),
])
def test_cli_add_needs_a_secret_and_a_user(
    cloud_home: Path, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str], args: list[str], stdin: str, message: str,
) -> None:
    """An empty secret, or a password without a user name, is refused with a sentence
    (exit 2); nothing is kept."""
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(["account", "add", "x", "--url", "https://example.org/dw", *args])
    assert code == 2
    assert capsys.readouterr().err == message + "\n"
    assert memory_keyring.secrets == {}
    assert not (cloud_home / "accounts.json").exists()


def test_cli_add_without_a_secret_exits_2(
    cloud_home: Path, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Bad usage of `account add` (empty secret on stdin) exits with status 2."""
    monkeypatch.setattr("sys.stdin", io.StringIO("\n"))
    try:
        status = main(["account", "add", "x", "--url", "https://example.org/dw",
                       "--token-stdin"])
    except SystemExit as exc:  # Python exits 1 for SystemExit("text").
        status = exc.code if isinstance(exc.code, int) else 1
    assert status == 2


def test_cli_unknown_account_is_bad_usage(
    cloud_home: Path, memory_keyring: MemoryKeyring, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Removing or testing an account that does not exist: exit 2, one sentence."""
    for action in ("remove", "test"):
        code, _, err = _cli(capsys, monkeypatch, "account", action, "nobody")
        assert code == 2
        assert err == "There is no account called nobody (accounts: none yet).\n"
