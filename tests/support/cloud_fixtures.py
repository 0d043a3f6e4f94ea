"""Fixtures of the cloud and upload tests (a pytest plugin).

tests/cloud/conftest.py re-exports them; tests elsewhere name this module in
``pytest_plugins``. Orthanc runs once per test module, inside the loopback-only network
namespace of ``scripts/isolated.sh`` (elsewhere: skipped with the reason, failed under
CI=true), and is emptied before each test that asks for ``orthanc``.
"""

import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from app.cloud.accounts import Account, AccountBook
from app.cloud.credentials import save_secret
from app.cloud.dicomweb import DicomWebClient
from app.library.library import Library
from tests.conftest import skip_or_fail
from tests.support.keyrings import MemoryKeyring, keyring_set_to
from tests.support.orthanc import Orthanc, orthanc_problem
from tests.support.studies import import_study, write_disc

# One per run, so that finding it anywhere means it leaked.
ORTHANC_PASSWORD = "pw-" + secrets.token_hex(12)
ORTHANC_USER = "lightbox"
ACCOUNT = "cloud"

DiscMaker = Callable[..., Path]


@pytest.fixture(scope="module")
def orthanc_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Orthanc]:
    """Orthanc with DICOMweb and authentication on, for one test module."""
    problem = orthanc_problem()
    if problem:
        skip_or_fail(problem)
    server = Orthanc(tmp_path_factory.mktemp("orthanc"), ORTHANC_USER, ORTHANC_PASSWORD)
    server.start()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def orthanc(orthanc_server: Orthanc) -> Orthanc:
    """The module's Orthanc, running (again, if a test killed it) and empty."""
    orthanc_server.start()
    orthanc_server.delete_everything()
    assert orthanc_server.instance_count() == 0
    return orthanc_server


@pytest.fixture
def memory_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoryKeyring]:
    """An in-memory keyring set on purpose for one test; the previous one restored."""
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    with keyring_set_to(MemoryKeyring()) as backend:
        assert isinstance(backend, MemoryKeyring)
        yield backend


@pytest.fixture
def cloud_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty LIGHTBOX_HOME (set in the environment, for the CLI too)."""
    home = tmp_path / "home"
    monkeypatch.setenv("LIGHTBOX_HOME", str(home))
    return home


@pytest.fixture
def cloud_library(cloud_home: Path) -> Iterator[Library]:
    """The library of ``cloud_home``, closed after the test."""
    with Library(cloud_home) as library:
        yield library


@pytest.fixture(scope="session")
def discs(tmp_path_factory: pytest.TempPathFactory) -> DiscMaker:
    """``discs(slices=.., rows=.., columns=.., seed=..)``: a sample disc, written once
    per session for each set of arguments."""
    root = tmp_path_factory.mktemp("discs")

    def make(slices: int = 8, rows: int = 64, columns: int = 64, seed: int = 5) -> Path:
        return write_disc(root / f"s{slices}-{rows}x{columns}-{seed}", slices, rows, columns,
                          seed)

    return make


@pytest.fixture
def small_study(cloud_library: Library, discs: DiscMaker) -> str:
    """A small study (1 + 8 + 2 = 11 images of 64 x 64) imported into the library."""
    return import_study(cloud_library, discs())


@pytest.fixture
def account(orthanc: Orthanc, memory_keyring: MemoryKeyring, cloud_home: Path) -> Account:
    """The account ``cloud`` on the test Orthanc, its password in the memory keyring."""
    item = Account(ACCOUNT, orthanc.dicomweb, "basic", ORTHANC_USER)
    save_secret(item.name, ORTHANC_PASSWORD)
    AccountBook(cloud_home).add(item)
    return item


@pytest.fixture
def make_client(account: Account) -> Callable[[], DicomWebClient]:
    """A client factory for ``account``, as the CLI and the GUI build it."""
    return lambda: DicomWebClient(account, ORTHANC_PASSWORD)
