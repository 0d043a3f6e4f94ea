"""Cloud accounts and PACS destinations as the CLI and the GUI handle them: add, test,
edit, remove.

The rules live here once: an account's address is checked before anything is saved; its
secret goes to the OS keyring first and the account second (an account without its secret
is useless, a secret without its account is harmless); removing an account forgets its
secret too. A PACS has no secret; testing it is a DICOM echo (C-ECHO) whose outcome comes
back as a result with one sentence, not as an exception.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from app.cloud.accounts import (
    DEFAULT_CALLING_AET,
    Account,
    AccountBook,
    AuthKind,
    PacsDestination,
    PacsRole,
    check_url,
)
from app.cloud.credentials import forget_secret, load_secret, save_secret
from app.cloud.viewer_links import PRESETS, carried_values, check_template, preset_template

# requests (through the client) and pynetdicom (through the echo) are imported when a
# connection is made, not to list accounts.
if TYPE_CHECKING:
    from app.cloud.dicomweb import DicomWebClient
    from app.cloud.echo import EchoResult
from app.core.errors import AccountError
from app.core.paths import lightbox_home
from app.services.pacs_destinations import (
    PacsFieldProblems,
    destination_from_address,
    field_problems,
    is_address,
    make_destination,
)

__all__ = ["DEFAULT_CALLING_AET", "Account", "AccountsService", "AuthKind",
           "PacsDestination", "PacsFieldProblems", "PacsRole"]


class AccountsService:
    """The accounts of one Lightbox home (LIGHTBOX_HOME by default)."""

    def __init__(self, home: Path | None = None) -> None:
        self.book = AccountBook(home if home is not None else lightbox_home())

    def all(self) -> list[Account]:
        """Every account, by name."""
        return self.book.all()

    def get(self, name: str) -> Account:
        """The account called ``name``; AccountError naming the known ones otherwise."""
        return self.book.get(name)

    @staticmethod
    def make(name: str, url: str, auth: AuthKind, username: str = "",
             viewer_url: str = "") -> Account:
        """An account checked as far as it can be without the network (name, HTTPS, the
        viewer address template)."""
        if auth == "basic" and not username.strip():
            raise AccountError("A password needs a user name.")
        return Account(name.strip(), check_url(url), auth,
                       username.strip() if auth == "basic" else "",
                       viewer_url=check_template(viewer_url))

    @staticmethod
    def viewer_template(value: str, account_url: str) -> str:
        """A viewer address as typed: a preset's key (``ohif``...) becomes that preset's
        template for the account at ``account_url``; anything else is kept as it is."""
        if value.strip() in {p.key for p in PRESETS if p.template_for is not None}:
            return preset_template(value.strip(), account_url)
        return value

    def add(self, account: Account, secret: str) -> Account:
        """Save ``secret`` in the keyring, then the account (replacing one of that name)."""
        if not secret:
            raise AccountError("The password or token is empty.")
        check_url(account.url)
        check_template(account.viewer_url)
        if secret in carried_values(account.viewer_url):
            # Links are sent to other people: the account's secret must never be in one.
            raise AccountError("The viewer address holds the account's password or token; "
                               "remove it from the address.")
        save_secret(account.name, secret)
        self.book.add(account)
        return account

    def edit(self, old_name: str, account: Account, secret: str | None = None) -> Account:
        """Change an account; ``secret`` None keeps the stored one (moved if renamed)."""
        self.book.get(old_name)
        if secret is None:
            secret = load_secret(old_name)
        self.add(account, secret)
        if account.name != old_name:
            self.remove(old_name)
        return account

    def remove(self, name: str) -> Literal["cloud", "pacs"]:
        """Remove the account (and forget its secret) or the PACS called ``name``; which
        of the two it was."""
        kind = self.book.remove(name)
        if kind == "cloud":
            forget_secret(name)
        return kind

    def kind_of(self, name: str) -> Literal["cloud", "pacs"] | None:
        """Whether ``name`` is a cloud account, a PACS, or nothing yet."""
        return self.book.kind_of(name)

    # -- PACS destinations ---------------------------------------------------------------
    def pacs(self, role: PacsRole | None = "store") -> list[PacsDestination]:
        """Every saved PACS used for ``role`` (by default: those that receive images;
        None: all, worklist servers too), by name."""
        return self.book.pacs(role)

    def get_pacs(self, name: str) -> PacsDestination:
        """The PACS called ``name``; AccountError (saying what to do) otherwise."""
        return self.book.get_pacs(name)

    @staticmethod
    def make_pacs(name: str, ae_title: str, host: str, port: str | int,
                  calling_aet: str = DEFAULT_CALLING_AET,
                  role: PacsRole = "store") -> PacsDestination:
        """A PACS checked field by field; AccountError naming the first wrong one."""
        return make_destination(name, ae_title, host, port, calling_aet, role)

    @staticmethod
    def pacs_from_address(name: str, address: str, calling_aet: str = DEFAULT_CALLING_AET,
                          role: PacsRole = "store") -> PacsDestination:
        """A PACS from ``AET@HOST:PORT``; UsageError when it is not such an address."""
        return destination_from_address(name, address, calling_aet, role)

    def pacs_problems(self, name: str, ae_title: str, host: str, port: str,
                      calling_aet: str, old_name: str | None = None) -> PacsFieldProblems:
        """One sentence per wrong field of a PACS as typed (for a form)."""
        return field_problems(self.book, name, ae_title, host, port, calling_aet, old_name)

    def add_pacs(self, destination: PacsDestination) -> PacsDestination:
        """Save ``destination`` (replacing a PACS of that name; AccountError when a
        cloud account has it)."""
        self.make_pacs(destination.name, destination.ae_title, destination.host,
                       destination.port, destination.calling_aet)
        self.book.add_pacs(destination)
        return destination

    def edit_pacs(self, old_name: str, destination: PacsDestination) -> PacsDestination:
        """Change the PACS ``old_name`` (it may be renamed)."""
        self.book.get_pacs(old_name)
        if destination.name != old_name and self.book.kind_of(destination.name) is not None:
            raise AccountError(f"The name {destination.name} is already taken; choose "
                               "another name.")
        self.add_pacs(destination)
        if destination.name != old_name:
            self.book.remove(old_name)
        return destination

    @staticmethod
    def echo(destination: PacsDestination) -> EchoResult:
        """Send the PACS a DICOM echo (C-ECHO) as its calling AE title; the result's
        ``sentence`` says whether it answered, and how fast, or why not."""
        from app.cloud.dimse import parse_destination
        from app.cloud.echo import echo

        return echo(parse_destination(destination.address), destination.calling_aet)

    def send_target(self, to: str, calling_aet: str | None) -> tuple[str, str]:
        """``--to`` and ``--calling-aet`` as given -> (``AET@HOST:PORT``, calling AE title).

        ``to`` is an address when it holds ``@`` or ``:``, else the name of a saved PACS,
        whose calling AE title is used unless ``calling_aet`` is given. Sends are keyed by
        the address, so the name and the address are the same destination. AccountError
        (exit 2) for an unknown name or a cloud account's name.
        """
        if is_address(to):
            return to, calling_aet or DEFAULT_CALLING_AET
        destination = self.book.get_pacs(to.strip())
        if destination.role != "store":
            raise AccountError(f"{destination.name} is a {destination.what}, not a PACS that "
                               "receives images; give another --to.")
        return destination.address, calling_aet or destination.calling_aet

    @staticmethod
    def test(account: Account, secret: str | None = None) -> None:
        """Log in to the account's server; AuthError, AccountError or UploadError saying
        whether the address or the credentials are wrong. ``secret`` None: the stored one."""
        from app.cloud.dicomweb import DicomWebClient

        DicomWebClient(account, secret if secret is not None else load_secret(account.name)
                       ).test()

    @staticmethod
    def client_factory(account: Account) -> Callable[[], DicomWebClient]:
        """A function giving a new client (one connection) for ``account``, with the secret
        read from the keyring once, now."""
        from app.cloud.dicomweb import DicomWebClient

        secret = load_secret(account.name)
        return lambda: DicomWebClient(account, secret)
