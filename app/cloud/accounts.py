"""Cloud accounts (a name, a DICOMweb address and who to log in as) and PACS destinations
(a name, an AE title, host and port, our calling AE title, and what the PACS is used for:
receiving images or answering worklist queries). No secrets here.

Both are kept in ``accounts.json`` under LIGHTBOX_HOME, written atomically: cloud accounts
under ``accounts`` (as older versions wrote them), PACS destinations under ``pacs``. Their
names share one namespace. The password or token of a cloud account sits in the OS keyring
(see :mod:`app.cloud.credentials`); a PACS has none (DICOM associations carry no secret).
"""

import ipaddress
import json
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal, TypeVar
from urllib.parse import urlsplit

from app.core.errors import AccountError

AuthKind = Literal["basic", "bearer"]
# What a saved DICOM node is for: "store" receives images (C-STORE), "worklist" answers
# Modality Worklist queries (C-FIND). Both are addressed, checked and echoed alike.
PacsRole = Literal["store", "worklist"]
ROLE_NAMES: dict[str, str] = {"store": "PACS", "worklist": "worklist server"}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$")
DEFAULT_CALLING_AET = "LIGHTBOX"
NAME_RULE = ("An account name is 1 to 64 letters, digits, spaces, dots, dashes or "
             "underscores, starting with a letter or digit.")


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


@dataclass(frozen=True)
class PacsDestination:
    """A saved PACS: its AE title, host and port, and the AE title we call it as."""

    name: str
    ae_title: str
    host: str
    port: int
    calling_aet: str = DEFAULT_CALLING_AET
    role: PacsRole = "store"

    @property
    def what(self) -> str:
        """"PACS" or "worklist server", for sentences."""
        return ROLE_NAMES.get(self.role, "PACS")

    @property
    def address(self) -> str:
        """``AET@HOST:PORT``: the key its sends are recorded under, as typed on the CLI."""
        return f"{self.ae_title}@{self.host}:{self.port}"


_Item = TypeVar("_Item", Account, PacsDestination)


def check_name(name: str) -> str:
    """``name`` when it can be an account or PACS name; AccountError otherwise."""
    if not _NAME.match(name):
        raise AccountError(NAME_RULE)
    return name


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
    """The cloud accounts and PACS destinations of one Lightbox home."""

    def __init__(self, home: Path) -> None:
        self.path = home / "accounts.json"

    def _read(self) -> tuple[list[Account], list[PacsDestination]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return [], []
        except (OSError, ValueError) as exc:
            raise AccountError(f"The account list {self.path} cannot be read: {exc}.") from exc
        try:
            return (_items(Account, data.get("accounts", [])),
                    _items(PacsDestination, data.get("pacs", [])))
        except (TypeError, AttributeError) as exc:
            raise AccountError(f"The account list {self.path} cannot be read: an entry "
                               "is damaged.") from exc

    def all(self) -> list[Account]:
        """Every cloud account, by name."""
        return self._read()[0]

    def pacs(self, role: PacsRole | None = None) -> list[PacsDestination]:
        """Every PACS destination (of ``role``, or all), by name."""
        return [p for p in self._read()[1] if role is None or p.role == role]

    def names(self) -> list[str]:
        """Every name in use, cloud accounts and PACS alike, in order."""
        accounts, pacs = self._read()
        return sorted([a.name for a in accounts] + [p.name for p in pacs], key=str.casefold)

    def kind_of(self, name: str) -> Literal["cloud", "pacs"] | None:
        """Whether ``name`` is a cloud account, a PACS, or nothing yet."""
        accounts, pacs = self._read()
        if any(a.name == name for a in accounts):
            return "cloud"
        if any(p.name == name for p in pacs):
            return "pacs"
        return None

    def get(self, name: str) -> Account:
        """The account called ``name``; AccountError naming the known ones otherwise."""
        accounts, pacs = self._read()
        for account in accounts:
            if account.name == name:
                return account
        for destination in pacs:
            if destination.name == name and destination.role == "worklist":
                raise AccountError(f"{name} is a worklist server, not a cloud account.")
            if destination.name == name:
                raise AccountError(f"{name} is a PACS, not a cloud account; send to it with "
                                   f"lightbox send --to {name}.")
        known = ", ".join(a.name for a in accounts) or "none yet"
        raise AccountError(f"There is no account called {name} (accounts: {known}).")

    def get_pacs(self, name: str) -> PacsDestination:
        """The PACS called ``name``; AccountError naming the known ones otherwise."""
        accounts, pacs = self._read()
        for destination in pacs:
            if destination.name == name:
                return destination
        if any(a.name == name for a in accounts):
            raise AccountError(f"{name} is a cloud account, not a PACS; upload to it with "
                               f"lightbox upload --account {name}.")
        known = ", ".join(p.name for p in pacs) or "none yet"
        raise AccountError(f"There is no PACS called {name} (PACS: {known}); give its "
                           "address as AET@HOST:PORT or save it with lightbox account add "
                           f"{name} --pacs AET@HOST:PORT.")

    def add(self, account: Account) -> None:
        """Add or replace ``account`` (its URL checked first; AccountError when a PACS
        has that name)."""
        check_name(account.name)
        check_url(account.url)
        accounts, pacs = self._read()
        if any(p.name == account.name for p in pacs):
            raise AccountError(_taken(account.name, "a PACS"))
        self._write(_replaced(accounts, account), pacs)

    def add_pacs(self, destination: PacsDestination) -> None:
        """Add or replace the PACS ``destination`` (AccountError when a cloud account has
        that name). Its AE titles and address are checked by the caller (see
        ``app.services.accounts_service``), which knows the DICOM rules."""
        check_name(destination.name)
        accounts, pacs = self._read()
        if any(a.name == destination.name for a in accounts):
            raise AccountError(_taken(destination.name, "a cloud account"))
        self._write(accounts, _replaced(pacs, destination))

    def remove(self, name: str) -> Literal["cloud", "pacs"]:
        """Remove the account or PACS ``name`` and say which it was (AccountError when
        there is neither)."""
        kind = self.kind_of(name)
        accounts, pacs = self._read()
        if kind is None:
            known = ", ".join(self.names()) or "none yet"
            raise AccountError(f"There is no account called {name} (accounts: {known}).")
        self._write([a for a in accounts if a.name != name],
                    [p for p in pacs if p.name != name])
        return kind

    def _write(self, accounts: list[Account], pacs: list[PacsDestination]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temp = self.path.with_suffix(".tmp")
        data: dict[str, object] = {"accounts": [asdict(a) for a in accounts]}
        if pacs:  # A file without PACS stays as older versions wrote it.
            # A PACS that receives images is written as before roles existed.
            data["pacs"] = [{k: v for k, v in asdict(p).items()
                             if (k, v) != ("role", "store")} for p in pacs]
        text = json.dumps(data, indent=1)
        with open(temp, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temp, self.path)


def _items(kind: type[_Item], items: list[dict[str, object]]) -> list[_Item]:
    known = set(kind.__dataclass_fields__)
    # Keys a newer Lightbox may have added are left out rather than refused.
    made = [kind(**{k: v for k, v in item.items() if k in known})  # type: ignore[arg-type]
            for item in items]
    return sorted(made, key=lambda item: item.name.casefold())


def _replaced(items: list[_Item], item: _Item) -> list[_Item]:
    return [i for i in items if i.name != item.name] + [item]


def _taken(name: str, what: str) -> str:
    return (f"The name {name} is already {what}; choose another name, or remove that one "
            f"first (lightbox account remove {name}).")
