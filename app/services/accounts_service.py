"""Cloud accounts as the CLI and the GUI handle them: add, test, edit, remove.

The rules live here once: an account's address is checked before anything is saved; its
secret goes to the OS keyring first and the account second (an account without its secret
is useless, a secret without its account is harmless); removing an account forgets its
secret too.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from app.cloud.accounts import Account, AccountBook, AuthKind, check_url
from app.cloud.credentials import forget_secret, load_secret, save_secret
from app.cloud.viewer_links import PRESETS, carried_values, check_template, preset_template

# requests (through the client) is imported when a connection is made, not to list accounts.
if TYPE_CHECKING:
    from app.cloud.dicomweb import DicomWebClient
from app.core.errors import AccountError
from app.core.paths import lightbox_home

__all__ = ["Account", "AccountsService", "AuthKind"]


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

    def remove(self, name: str) -> None:
        """Remove the account and forget its secret."""
        self.book.remove(name)
        forget_secret(name)

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
