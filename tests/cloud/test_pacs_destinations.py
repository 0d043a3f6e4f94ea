"""Saved PACS destinations: kept in accounts.json beside the cloud accounts (one namespace
of names, no secret), checked field by field, and how `send --to NAME` finds one."""

import io
import json
from pathlib import Path

import pytest

from app.cli import main
from app.cloud.accounts import Account, AccountBook, PacsDestination
from app.core.errors import AccountError, UsageError
from app.services.accounts_service import AccountsService
from tests.support.keyrings import MemoryKeyring

URL = "https://cloud.example.org/dicom-web"


def _cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
         *args: str) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_pacs_are_kept_beside_the_accounts_without_disturbing_them(tmp_path: Path) -> None:
    """PACS go under "pacs" in accounts.json; cloud accounts stay under "accounts" as
    before, and the account list still holds only cloud accounts."""
    book = AccountBook(tmp_path)
    book.add(Account("cloud", URL, "bearer"))
    book.add_pacs(PacsDestination("Hospital PACS", "PACS", "10.0.0.5", 104))
    book.add_pacs(PacsDestination("archive", "ARCH", "pacs.example.org", 11112, "FRONTDESK"))
    assert [a.name for a in book.all()] == ["cloud"]
    assert [p.name for p in book.pacs()] == ["archive", "Hospital PACS"]
    assert book.names() == ["archive", "cloud", "Hospital PACS"]
    assert book.get_pacs("archive").address == "ARCH@pacs.example.org:11112"
    assert book.get_pacs("Hospital PACS").calling_aet == "LIGHTBOX"
    data = json.loads((tmp_path / "accounts.json").read_text(encoding="utf-8"))
    assert [a["name"] for a in data["accounts"]] == ["cloud"]
    assert data["pacs"][1] == {"name": "archive", "ae_title": "ARCH",
                               "host": "pacs.example.org", "port": 11112,
                               "calling_aet": "FRONTDESK"}
    # Replaced by name; removed by name, saying which kind it was.
    book.add_pacs(PacsDestination("archive", "ARCH2", "pacs.example.org", 104))
    assert book.get_pacs("archive").ae_title == "ARCH2"
    assert book.remove("archive") == "pacs" and book.remove("cloud") == "cloud"
    assert book.names() == ["Hospital PACS"]


def test_a_file_without_pacs_is_written_as_older_versions_wrote_it(tmp_path: Path) -> None:
    book = AccountBook(tmp_path)
    book.add(Account("cloud", URL, "bearer"))
    assert set(json.loads((tmp_path / "accounts.json").read_text())) == {"accounts"}


def test_names_are_one_namespace(tmp_path: Path) -> None:
    """A name is either a cloud account or a PACS; using it for the other kind is refused
    with a sentence, and each lookup says what the name is instead."""
    book = AccountBook(tmp_path)
    book.add(Account("cloud", URL, "bearer"))
    book.add_pacs(PacsDestination("pacs", "PACS", "10.0.0.5", 104))
    with pytest.raises(AccountError, match="The name cloud is already a cloud account"):
        book.add_pacs(PacsDestination("cloud", "PACS", "10.0.0.5", 104))
    with pytest.raises(AccountError, match="The name pacs is already a PACS"):
        book.add(Account("pacs", URL, "bearer"))
    with pytest.raises(AccountError, match="cloud is a cloud account, not a PACS"):
        book.get_pacs("cloud")
    with pytest.raises(AccountError, match="pacs is a PACS, not a cloud account"):
        book.get("pacs")
    with pytest.raises(AccountError, match=r"no PACS called nobody \(PACS: pacs\)"):
        book.get_pacs("nobody")
    with pytest.raises(AccountError, match=r"no account called nobody \(accounts: cloud, pacs\)"):
        book.remove("nobody")
    assert (book.kind_of("cloud"), book.kind_of("pacs"), book.kind_of("x")) == \
        ("cloud", "pacs", None)


def test_a_damaged_pacs_entry_is_one_sentence(tmp_path: Path) -> None:
    (tmp_path / "accounts.json").write_text('{"accounts": [], "pacs": [{"name": "x"}]}')
    with pytest.raises(AccountError, match="cannot be read: an entry is damaged"):
        AccountBook(tmp_path).pacs()


def test_an_address_becomes_a_destination_with_every_field_checked() -> None:
    made = AccountsService.pacs_from_address(" main ", "PACS@[::1]:104", "FRONT DESK")
    assert made == PacsDestination("main", "PACS", "::1", 104, "FRONT DESK")
    assert made.address == "PACS@::1:104"
    with pytest.raises(UsageError, match="is not a PACS address: write it as AET@HOST:PORT"):
        AccountsService.pacs_from_address("x", "PACS@host", "LIGHTBOX")
    with pytest.raises(AccountError, match="is not an AE title"):
        AccountsService.pacs_from_address("x", "PACS@host:104", "A" * 17)
    with pytest.raises(AccountError, match="An account name is 1 to 64"):
        AccountsService.pacs_from_address("a/b", "PACS@host:104", "LIGHTBOX")
    with pytest.raises(AccountError, match="not a host name or IP address"):
        AccountsService.make_pacs("x", "PACS", "bad host", "104")


@pytest.mark.parametrize(("field", "value", "sentence"), [
    ("name", "", "Enter a name for this PACS"),
    ("name", "a:b", "An account name is 1 to 64"),
    ("name", "cloud", "The name cloud is already a cloud account"),
    ("ae_title", "", "Enter an AE title"),
    ("ae_title", "WAY-TOO-LONG-AE-TITLE", "is not an AE title"),
    ("ae_title", "A\\B", "is not an AE title"),
    ("host", "", "Enter the PACS's host name or IP address."),
    ("host", "pacs host", "is not a host name or IP address"),
    ("port", "", "Enter the PACS's port"),
    ("port", "70000", "is not a port: use a number from 1 to 65535"),
    ("port", "10a", "is not a port"),
    ("calling_aet", "", "Enter an AE title"),
])
def test_each_field_gets_its_own_sentence(tmp_path: Path, field: str, value: str,
                                          sentence: str) -> None:
    """What a form shows under each field: only the wrong one has a sentence."""
    service = AccountsService(tmp_path)
    service.book.add(Account("cloud", URL, "bearer"))
    typed = {"name": "main", "ae_title": "PACS", "host": "10.0.0.5", "port": "104",
             "calling_aet": "LIGHTBOX"}
    assert not service.pacs_problems(**typed).any
    problems = service.pacs_problems(**{**typed, field: value})
    assert problems.any and sentence in getattr(problems, field)
    assert problems.first() == getattr(problems, field)
    assert [f for f in typed if getattr(problems, f)] == [field]


def test_a_pacs_keeps_its_name_when_changed_but_cannot_take_another(tmp_path: Path) -> None:
    service = AccountsService(tmp_path)
    service.add_pacs(service.make_pacs("main", "PACS", "10.0.0.5", 104))
    service.add_pacs(service.make_pacs("other", "PACS", "10.0.0.6", 104))
    typed = {"ae_title": "PACS", "host": "10.0.0.5", "port": "104", "calling_aet": "X"}
    assert not service.pacs_problems("main", old_name="main", **typed).any
    assert "already another PACS" in service.pacs_problems("main", **typed).name
    assert "already another PACS" in service.pacs_problems("other", old_name="main",
                                                           **typed).name
    service.edit_pacs("main", service.make_pacs("renamed", "NEW", "10.0.0.7", 11112))
    assert [p.name for p in service.pacs()] == ["other", "renamed"]
    with pytest.raises(AccountError, match="already taken"):
        service.edit_pacs("renamed", service.make_pacs("other", "NEW", "10.0.0.7", 104))


def test_send_target_by_address_or_by_name(tmp_path: Path) -> None:
    """`--to` with @ or : is an address; anything else names a saved PACS, whose calling
    AE title is used unless one is given. Both give the same address (the sends' key)."""
    service = AccountsService(tmp_path)
    service.book.add(Account("cloud", URL, "bearer"))
    service.add_pacs(service.pacs_from_address("main", "PACS@10.0.0.5:104", "FRONTDESK"))
    assert service.send_target("PACS@10.0.0.5:104", None) == ("PACS@10.0.0.5:104", "LIGHTBOX")
    assert service.send_target("PACS@10.0.0.5:104", "ME") == ("PACS@10.0.0.5:104", "ME")
    assert service.send_target("main", None) == ("PACS@10.0.0.5:104", "FRONTDESK")
    assert service.send_target("main", "ME") == ("PACS@10.0.0.5:104", "ME")
    with pytest.raises(AccountError, match="cloud is a cloud account, not a PACS"):
        service.send_target("cloud", None)
    with pytest.raises(AccountError, match="no PACS called nowhere"):
        service.send_target("nowhere", None)


def test_cli_add_list_remove_a_pacs(
    tmp_path: Path, memory_keyring: MemoryKeyring, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`account add NAME --pacs`: saved, no secret asked or kept; `list` marks it as a
    PACS; `remove` says it removed a PACS."""
    monkeypatch.setenv("LIGHTBOX_HOME", str(tmp_path))
    code, out, err = _cli(capsys, monkeypatch, "account", "add", "main", "--pacs",
                          "PACS@10.0.0.5:104", "--calling-aet", "FRONTDESK")
    assert (code, err) == (0, "")
    assert out.startswith("Added the PACS main (PACS@10.0.0.5:104, we call it as FRONTDESK)")
    assert memory_keyring.secrets == {}
    monkeypatch.setattr("sys.stdin", io.StringIO("tok\n"))
    assert main(["account", "add", "cloud", "--url", URL, "--token-stdin"]) == 0
    capsys.readouterr()
    code, out, _ = _cli(capsys, monkeypatch, "account", "list")
    assert code == 0
    assert out == (f"cloud: {URL} (bearer)\n"
                   "main: PACS PACS@10.0.0.5:104 (we call it as FRONTDESK)\n")
    code, out, _ = _cli(capsys, monkeypatch, "account", "remove", "main")
    assert (code, out) == (0, "Removed the PACS main.\n")
    assert AccountBook(tmp_path).pacs() == []
    assert memory_keyring.secrets != {}  # The cloud account's secret was left alone.


@pytest.mark.parametrize(("args", "sentence"), [
    (["--pacs", "PACS@h:104", "--url", URL], "A PACS takes no --url: give either --pacs"),
    (["--pacs", "PACS@h:104", "--token-stdin"], "A PACS takes no --token-stdin"),
    (["--pacs", "PACS@h:104", "--username", "a", "--viewer-url", "ohif"],
     "A PACS takes no --username or --viewer-url"),
    (["--pacs", "PACS-at-h"], "is not a PACS address: write it as AET@HOST:PORT"),
    (["--pacs", "PACS@h:104", "--calling-aet", "X" * 17], "is not an AE title"),
    ([], "Say where the account is: --url URL for a cloud account (DICOMweb), or --pacs"),
    (["--url", URL], "Give the account's secret on standard input"),
    (["--url", URL, "--token-stdin", "--calling-aet", "X"], "--calling-aet goes with --pacs"),
])
def test_cli_add_misuse_is_one_sentence_exit_2(
    tmp_path: Path, memory_keyring: MemoryKeyring, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch, args: list[str], sentence: str,
) -> None:
    monkeypatch.setenv("LIGHTBOX_HOME", str(tmp_path))
    code, out, err = _cli(capsys, monkeypatch, "account", "add", "x", *args)
    assert (code, out) == (2, "")
    assert sentence in err and err.count("\n") == 1
    assert not (tmp_path / "accounts.json").exists()
    assert memory_keyring.secrets == {}


def test_cli_a_pacs_name_taken_by_a_cloud_account_exits_2(
    tmp_path: Path, memory_keyring: MemoryKeyring, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LIGHTBOX_HOME", str(tmp_path))
    monkeypatch.setattr("sys.stdin", io.StringIO("tok\n"))
    assert main(["account", "add", "cloud", "--url", URL, "--token-stdin"]) == 0
    capsys.readouterr()
    code, _, err = _cli(capsys, monkeypatch, "account", "add", "cloud", "--pacs",
                        "PACS@h:104")
    assert code == 2 and "The name cloud is already a cloud account" in err
    assert AccountBook(tmp_path).get("cloud").url == URL
