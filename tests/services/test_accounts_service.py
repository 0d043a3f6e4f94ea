"""AccountsService: the account rules in one place, with a real account book and keyring
backends set on purpose (an in-memory one, and one that refuses to keep secrets)."""

import json
from pathlib import Path

import pytest
from keyring.errors import KeyringError

from app.cloud.credentials import SERVICE
from app.core.errors import AccountError, CredentialStoreError
from app.services.accounts_service import Account, AccountsService
from tests.support.cloud_fixtures import cloud_home, memory_keyring
from tests.support.keyrings import MemoryKeyring, keyring_set_to

__all__ = ["cloud_home", "memory_keyring"]  # fixtures

URL = "https://pacs.example.org/dicom-web"


class RefusingKeyring(MemoryKeyring):
    """A locked password store: nothing can be saved."""

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringError("locked")


def _saved_names(home: Path) -> list[str]:
    path = home / "accounts.json"
    if not path.exists():
        return []
    return sorted(str(a["name"]) for a in json.loads(path.read_text())["accounts"])


def test_make_checks_before_anything_is_saved() -> None:
    made = AccountsService.make(" cloud ", URL, "basic", " ana ")
    assert (made.name, made.url, made.auth, made.username) == ("cloud", URL, "basic", "ana")
    assert AccountsService.make("t", URL, "bearer", "ignored").username == ""
    with pytest.raises(AccountError, match="user name"):
        AccountsService.make("x", URL, "basic", "")
    with pytest.raises(AccountError, match="HTTPS"):
        AccountsService.make("x", "http://pacs.example.org/dw", "bearer")


def test_add_keeps_the_secret_in_the_keyring_and_the_rest_in_the_book(
    cloud_home: Path, memory_keyring: MemoryKeyring
) -> None:
    service = AccountsService()
    service.add(AccountsService.make("cloud", URL, "basic", "ana"), "s3cret")
    assert memory_keyring.secrets == {(SERVICE, "account:cloud"): "s3cret"}
    assert [a.name for a in service.all()] == ["cloud"] == _saved_names(cloud_home)
    assert "s3cret" not in (cloud_home / "accounts.json").read_text()
    assert service.get("cloud").username == "ana"
    assert service.client_factory(service.get("cloud"))() is not None


def test_a_refused_secret_saves_no_account(cloud_home: Path) -> None:
    """Secret first: when the keyring refuses it, there is no account without a secret."""
    with (keyring_set_to(RefusingKeyring()),
          pytest.raises(CredentialStoreError, match="refused to keep the secret")):
        AccountsService().add(AccountsService.make("cloud", URL, "bearer"), "token")
    assert _saved_names(cloud_home) == []


def test_an_empty_secret_is_refused(cloud_home: Path, memory_keyring: MemoryKeyring) -> None:
    with pytest.raises(AccountError, match="empty"):
        AccountsService().add(AccountsService.make("cloud", URL, "bearer"), "")
    assert memory_keyring.secrets == {} and _saved_names(cloud_home) == []


def test_edit_renames_and_moves_the_secret(
    cloud_home: Path, memory_keyring: MemoryKeyring
) -> None:
    service = AccountsService()
    service.add(AccountsService.make("old", URL, "bearer"), "token")
    service.edit("old", Account("new", URL, "bearer"))
    assert memory_keyring.secrets == {(SERVICE, "account:new"): "token"}
    assert _saved_names(cloud_home) == ["new"]
    service.edit("new", Account("new", URL, "bearer"), secret="rotated")
    assert memory_keyring.secrets == {(SERVICE, "account:new"): "rotated"}
    with pytest.raises(AccountError, match="There is no account called old"):
        service.edit("old", Account("x", URL, "bearer"))


def test_remove_forgets_the_secret(cloud_home: Path, memory_keyring: MemoryKeyring) -> None:
    service = AccountsService()
    service.add(AccountsService.make("cloud", URL, "bearer"), "token")
    service.remove("cloud")
    assert memory_keyring.secrets == {} and service.all() == []
    with pytest.raises(AccountError) as missing:
        service.get("cloud")
    assert missing.value.exit_code == 2


def test_a_missing_secret_is_said_before_any_connection(
    cloud_home: Path, memory_keyring: MemoryKeyring
) -> None:
    service = AccountsService()
    service.add(AccountsService.make("cloud", URL, "bearer"), "token")
    memory_keyring.secrets.clear()
    with pytest.raises(CredentialStoreError, match="not in the password store"):
        service.client_factory(service.get("cloud"))
    with pytest.raises(CredentialStoreError, match="not in the password store"):
        AccountsService.test(service.get("cloud"))
