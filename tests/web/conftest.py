"""Fixtures of the web viewer tests: Orthanc (tests/support/cloud_fixtures.py), and OHIF
behind nginx plus a headless Chromium (tests/support/web_fixtures.py), re-exported here."""

from tests.support.cloud_fixtures import orthanc, orthanc_server
from tests.support.web_fixtures import browser, ohif_dist, shots, viewer_site

__all__ = ["browser", "ohif_dist", "orthanc", "orthanc_server", "shots", "viewer_site"]
