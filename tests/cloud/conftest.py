"""Fixtures of the cloud tests: Orthanc, a memory keyring, a library with a study.

They are defined in tests/support/cloud_fixtures.py (the upload service and CLI tests use
them too) and re-exported here for the tests in this folder.
"""

from tests.support.cloud_fixtures import (
    account,
    cloud_home,
    cloud_library,
    discs,
    make_client,
    memory_keyring,
    orthanc,
    orthanc_server,
    small_study,
)

__all__ = [
    "account",
    "cloud_home",
    "cloud_library",
    "discs",
    "make_client",
    "memory_keyring",
    "orthanc",
    "orthanc_server",
    "small_study",
]
