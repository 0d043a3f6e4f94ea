"""Passwords and tokens live in the operating system's keyring, and nowhere else.

Never in the settings file, the logs or an error message. When no safe keyring is
available the user is told what to do; Lightbox never falls back to a plain-text file on
its own (keyrings.alt, a test dependency, would silently do exactly that).
"""

import contextlib
import os

import keyring
from keyring.backend import KeyringBackend
from keyring.errors import KeyringError, NoKeyringError

from app.core.errors import CredentialStoreError

SERVICE = "lightbox"
# Backends that do not protect the secret: refused unless chosen on purpose.
_UNSAFE_MODULES = ("keyrings.alt", "keyring.backends.fail", "keyring.backends.null")

NO_KEYRING = (
    "There is no secure password store on this computer: install or unlock one "
    "(GNOME Keyring or KWallet on Linux), or choose a keyring backend with "
    "PYTHON_KEYRING_BACKEND, then try again."
)


def _backend() -> KeyringBackend:
    backend = keyring.get_keyring()
    chosen_on_purpose = bool(os.environ.get("PYTHON_KEYRING_BACKEND"))
    module = type(backend).__module__
    if not chosen_on_purpose and module.startswith(_UNSAFE_MODULES):
        raise CredentialStoreError(NO_KEYRING)
    return backend


def _key(account: str) -> str:
    return f"account:{account}"


def save_secret(account: str, secret: str) -> None:
    """Keep the password or token of ``account`` in the keyring."""
    try:
        _backend().set_password(SERVICE, _key(account), secret)
    except NoKeyringError:
        raise CredentialStoreError(NO_KEYRING) from None
    except KeyringError as exc:
        raise CredentialStoreError(
            f"The password store refused to keep the secret ({type(exc).__name__}); "
            "unlock it and try again."
        ) from None


def load_secret(account: str) -> str:
    """The password or token of ``account``; CredentialStoreError when it is not there."""
    try:
        secret = _backend().get_password(SERVICE, _key(account))
    except NoKeyringError:
        raise CredentialStoreError(NO_KEYRING) from None
    except KeyringError as exc:
        raise CredentialStoreError(
            f"The password store could not be read ({type(exc).__name__}); unlock it and "
            "try again."
        ) from None
    if secret is None:
        raise CredentialStoreError(
            f"The password for the account {account} is not in the password store; add the "
            "account again."
        )
    return secret


def forget_secret(account: str) -> None:
    """Remove the secret of ``account`` (nothing happens when there is none)."""
    with contextlib.suppress(KeyringError, CredentialStoreError):
        _backend().delete_password(SERVICE, _key(account))
