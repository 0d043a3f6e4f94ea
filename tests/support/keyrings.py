"""A keyring for tests: secrets in a dict, set with ``keyring.set_keyring`` on purpose."""

from collections.abc import Iterator
from contextlib import contextmanager

import keyring
from jaraco.classes import properties
from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError


class MemoryKeyring(KeyringBackend):
    """Secrets in memory, for one test. Never chosen by keyring's own detection: its
    priority raises, which makes it "not viable" (so other tests' default is untouched)."""

    @properties.classproperty
    def priority(cls) -> float:
        raise RuntimeError("MemoryKeyring is only for tests, set explicitly")

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.secrets: dict[tuple[str, str], str] = {}

    def __str__(self) -> str:
        return "MemoryKeyring (tests)"

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.secrets.pop((service, username), None) is None:
            raise PasswordDeleteError("no such password")


@contextmanager
def keyring_set_to(backend: KeyringBackend) -> Iterator[KeyringBackend]:
    """Use ``backend`` as the keyring inside the block; the previous one after."""
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)
