"""Viewer links: every preset derived from an account's address, filled and parsed back;
templates the user types are checked (HTTPS or loopback, the placeholder, no secret)."""

from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from app.cloud.viewer_links import (
    PLACEHOLDER,
    PRESETS,
    carried_values,
    check_template,
    fill,
    matching_preset,
    preset_template,
    server_root,
)
from app.core.errors import AccountError

DICOMWEB = "https://cloud.example.org/dicom-web"
UID = "1.2.826.0.1.3680043.8.498.12345678901234567890"


@pytest.mark.parametrize(("url", "root"), [
    ("https://cloud.example.org/dicom-web", "https://cloud.example.org"),
    ("https://cloud.example.org/dicom-web/", "https://cloud.example.org"),
    ("https://cloud.example.org/orthanc/dicom-web", "https://cloud.example.org/orthanc"),
    ("https://cloud.example.org/DICOMweb", "https://cloud.example.org"),
    ("http://127.0.0.1:8042/dicom-web", "http://127.0.0.1:8042"),
    ("https://cloud.example.org/api/v1", "https://cloud.example.org/api/v1"),
])
def test_server_root_strips_the_dicomweb_folder(url: str, root: str) -> None:
    """The viewers hang off the server's root, above its DICOMweb folder."""
    assert server_root(url) == root


def test_ohif_link_names_the_study() -> None:
    """OHIF: /viewer?StudyInstanceUIDs=UID on the server's root."""
    link = fill(preset_template("ohif", DICOMWEB), UID)
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "cloud.example.org", "/viewer")
    assert parse_qs(parts.query) == {"StudyInstanceUIDs": [UID]}


def test_orthanc_explorer_2_link_filters_on_the_study() -> None:
    """Orthanc Explorer 2: the study list filtered on the quoted UID, series expanded."""
    link = fill(preset_template("orthanc-explorer-2", DICOMWEB), UID)
    parts = urlsplit(link)
    assert parts.path == "/ui/app/"
    route, _, query = parts.fragment.partition("?")
    assert route == "/filtered-studies"
    assert parse_qs(query) == {"StudyInstanceUID": [f'"{UID}"'], "expand": ["series"]}


def test_stone_link_names_the_study() -> None:
    """Stone Web Viewer: index.html?study=UID."""
    link = fill(preset_template("stone", DICOMWEB), UID)
    parts = urlsplit(link)
    assert parts.path == "/stone-webviewer/index.html"
    assert parse_qs(parts.query) == {"study": [UID]}


def test_weasis_link_decodes_to_its_command_line() -> None:
    """Weasis: weasis://? and the URL-encoded $dicom:rs command with the DICOMweb address
    and the study."""
    link = fill(preset_template("weasis", DICOMWEB + "/"), UID)
    assert link.startswith("weasis://?")
    assert unquote(link[len("weasis://?"):]) == (
        f'$dicom:rs --url "{DICOMWEB}" -r "studyUID={UID}"'
    )
    assert " " not in link


@pytest.mark.parametrize("item", [p for p in PRESETS if p.template_for is not None],
                         ids=lambda p: p.key)
def test_each_preset_is_recognised_back(item: object) -> None:
    """An account's template is shown as the preset it came from (the dialog's choice)."""
    key = item.key  # type: ignore[attr-defined]
    assert matching_preset(preset_template(key, DICOMWEB), DICOMWEB) == key
    assert matching_preset("https://viewer.example.org/s/{StudyInstanceUID}", DICOMWEB) \
        == "other"


def test_other_preset_needs_an_address() -> None:
    """'other' has no template to derive: the user types it."""
    with pytest.raises(AccountError, match="Type the viewer's address"):
        preset_template("other", DICOMWEB)
    with pytest.raises(AccountError, match="presets: ohif, orthanc-explorer-2"):
        preset_template("nonesuch", DICOMWEB)


@pytest.mark.parametrize("template", [
    "https://viewer.example.org/study/{StudyInstanceUID}",
    "http://127.0.0.1:3000/viewer?StudyInstanceUIDs={StudyInstanceUID}",
    "http://localhost/v?s={StudyInstanceUID}",
    "",
])
def test_typed_templates_that_are_accepted(template: str) -> None:
    """HTTPS anywhere, plain HTTP to this computer, or none at all."""
    assert check_template(f" {template} ") == template


@pytest.mark.parametrize(("template", "sentence"), [
    ("https://viewer.example.org/study", "must hold {StudyInstanceUID}"),
    ("http://viewer.example.org/{StudyInstanceUID}", "must use HTTPS"),
    ("ftp://viewer.example.org/{StudyInstanceUID}", "is not a web address"),
    ("viewer.example.org/{StudyInstanceUID}", "is not a web address"),
    ("https://me:pw@viewer.example.org/{StudyInstanceUID}", "cannot hold a user name"),
    ("https://viewer.example.org/{StudyInstanceUID} x", "cannot hold spaces"),
])
def test_typed_templates_that_are_refused(template: str, sentence: str) -> None:
    """Each wrong template gets one sentence saying what is wrong."""
    with pytest.raises(AccountError, match=sentence.replace("{", r"\{").replace("}", r"\}")):
        check_template(template)


@pytest.mark.parametrize("uid", ["", "1.2.abc", "1.2.3&x=1", "1." + "2" * 70, "1..2",
                                 "../1.2"])
def test_only_a_uid_goes_into_a_link(uid: str) -> None:
    """What is not a UID never lands in an address."""
    with pytest.raises(AccountError, match="is not a study's UID"):
        fill("https://v.example.org/{StudyInstanceUID}", uid)


def test_carried_values_catch_a_secret_in_a_query_or_path() -> None:
    """A token in a query value or a path segment (encoded or not) is found."""
    assert "s3cr%t" in carried_values("https://v.example.org/x?token=s3cr%25t&s=" + PLACEHOLDER)
    assert "abc" in carried_values("https://v.example.org/abc/{StudyInstanceUID}")
    assert "ab" not in carried_values("https://v.example.org/abc/{StudyInstanceUID}")
