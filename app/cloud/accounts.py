"""Cloud accounts: a name, a DICOMweb address and who to log in as. No secrets here.

Accounts are kept in ``accounts.json`` under LIGHTBOX_HOME, written atomically; the
password or token of each sits in the OS keyring (see :mod:`app.cloud.credentials`).
"""

import ipaddress
import json
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from app.core.errors import AccountError

AuthKind = Literal["basic", "bearer"]
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$")


@dataclass(frozen=True)
class Account:
    """A DICOMweb destination. ``stow_path``/``qido_path`` override the default paths
    (``studies``) under ``url`` for services that split them."""

    name: str
    url: str
    auth: AuthKind
    username: str = ""
    stow_path: str = "studies"
    qido_path: str = "studies"
    # Where a doctor opens a study: a template holding {StudyInstanceUID} ("" for none).
    viewer_url: str = ""

    def endpoint(self, path: str) -> str:
        """``path`` under the account's base URL."""
        return self.url.rstrip("/") + "/" + path.lstrip("/")


def is_loopback(host: str) -> bool:
    """True for localhost, 127.0.0.0/8 and ::1: the only places plain HTTP may go."""
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_url(url: str) -> str:
    """The URL, if it is HTTPS (or HTTP to this computer); AccountError otherwise."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AccountError(f"{url} is not a web address; it should look like https://host/path.")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise AccountError(
            "Images may only be sent over HTTPS (a secure connection); use an https:// "
            "address. Plain http:// is allowed only to this computer, for testing."
        )
    if parts.username or parts.password:
        raise AccountError(
            "Put the user name in --username and the password in the password store, not in "
            "the address."
        )
    return url.strip()


class AccountBook:
    """The accounts of one Lightbox home."""

    def __init__(self, home: Path) -> None:
        self.path = home / "accounts.json"

    def all(self) -> list[Account]:
        """Every account, by name."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as exc:
            raise AccountError(f"The account list {self.path} cannot be read: {exc}.") from exc
        known = set(Account.__dataclass_fields__)
        # Keys a newer Lightbox may have added are left out rather than refused.
        return sorted((Account(**{k: v for k, v in item.items() if k in known})
                       for item in data.get("accounts", [])),
                      key=lambda a: a.name.casefold())

    def get(self, name: str) -> Account:
        """The account called ``name``; AccountError naming the known ones otherwise."""
        for account in self.all():
            if account.name == name:
                return account
        known = ", ".join(a.name for a in self.all()) or "none yet"
        raise AccountError(f"There is no account called {name} (accounts: {known}).")

    def add(self, account: Account) -> None:
        """Add or replace ``account`` (its URL checked first)."""
        if not _NAME.match(account.name):
            raise AccountError(
                "An account name is 1 to 64 letters, digits, spaces, dots, dashes or "
                "underscores, starting with a letter or digit."
            )
        check_url(account.url)
        accounts = [a for a in self.all() if a.name != account.name] + [account]
        self._write(accounts)

    def remove(self, name: str) -> None:
        """Remove the account ``name`` (AccountError when there is none)."""
        accounts = self.all()
        if not any(a.name == name for a in accounts):
            self.get(name)  # Raises with the list of known names.
        self._write([a for a in accounts if a.name != name])

    def _write(self, accounts: list[Account]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temp = self.path.with_suffix(".tmp")
        text = json.dumps({"accounts": [asdict(a) for a in accounts]}, indent=1)
        with open(temp, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temp, self.path)
