"""Sharing with a doctor, without Qt: the email carries the link and what the doctor needs,
never the patient; the QR code reads back as the link; which account can give a link,
and why none can; the viewer address each choice of the account dialog gives."""

from datetime import UTC, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
import zxingcpp

from app.cloud.accounts import Account
from app.cloud.viewer_links import PLACEHOLDER, fill, preset_template
from app.library.library import ShareRow
from app.services.sharing import (
    NO_VIEWER,
    OTHER,
    SUBJECT,
    describe_share,
    email_body,
    mailto_url,
    patient_sentences,
    qr_modules,
    share_options,
    viewer_address,
    viewer_choice_of,
    viewer_choices,
)

DICOMWEB = "https://cloud.example.org/dicom-web"
UID = "1.2.826.0.1.3680043.8.498.12345678901234567890"
PATIENT_NAME, PATIENT_ID = "DOE^JANE", "ID-4711"


def _account(name: str = "My Clinic Cloud", preset: str = "ohif") -> Account:
    viewer = preset_template(preset, DICOMWEB) if preset else ""
    return Account(name, DICOMWEB, "basic", "me", viewer_url=viewer)


def _mail(link: str, account: Account) -> tuple[str, str]:
    """The subject and the body a mail client reads from the mailto URL."""
    url = mailto_url(link, account.name, account.viewer_url)
    parts = urlsplit(url)
    assert (parts.scheme, parts.path) == ("mailto", "")  # No recipient chosen for them.
    fields = parse_qs(parts.query, keep_blank_values=True, strict_parsing=True)
    assert set(fields) == {"subject", "body"}
    return fields["subject"][0], fields["body"][0]


@pytest.mark.parametrize("preset", ["ohif", "orthanc-explorer-2", "stone", "weasis"])
def test_the_email_has_the_link_and_a_neutral_subject_never_the_patient(preset: str) -> None:
    account = _account(preset=preset)
    link = fill(account.viewer_url, UID)
    subject, body = _mail(link, account)
    assert subject == SUBJECT == "Medical images for you to view"
    assert link in body.split("\r\n")  # On a line of its own, exactly: a client links it.
    for secret in (PATIENT_NAME, "DOE", "JANE", PATIENT_ID):
        assert secret not in subject and secret not in body
    assert "My Clinic Cloud" in body
    # Every character a mail client could misread is percent-encoded.
    url = mailto_url(link, account.name, account.viewer_url)
    assert " " not in url and "\n" not in url and url.count("&") == 1 and "#" not in url


def test_the_sentences_say_what_the_doctor_needs() -> None:
    web = _account()
    assert patient_sentences(web.name, web.viewer_url) == (
        "Your doctor signs in to My Clinic Cloud's viewer to open it. "
        "The link only works for people who have an account there.")
    weasis = _account(preset="weasis")
    sentences = patient_sentences(weasis.name, weasis.viewer_url)
    assert sentences.startswith(
        "Your doctor needs the Weasis viewer installed on their computer.")
    assert sentences.count(". ") == 1  # Two sentences.
    _subject, body = _mail(fill(weasis.viewer_url, UID), weasis)
    assert "Weasis viewer, which needs to be installed on your computer" in body
    # Said to the doctor in the email, to the patient in the panel.
    assert "Your doctor" not in email_body(fill(web.viewer_url, UID), web.name, web.viewer_url)


@pytest.mark.parametrize("preset", ["ohif", "orthanc-explorer-2", "stone", "weasis"])
def test_the_qr_code_reads_back_as_the_link(preset: str) -> None:
    link = fill(preset_template(preset, DICOMWEB), UID)
    modules = qr_modules(link)
    # The quiet zone: four light modules on every side.
    assert not any(any(row) for row in modules[:4] + modules[-4:])
    assert not any(any(row[:4]) or any(row[-4:]) for row in modules)
    pixels = np.kron(np.where(np.array(modules), 0, 255).astype(np.uint8),
                     np.ones((3, 3), dtype=np.uint8))
    found = zxingcpp.read_barcodes(pixels)
    assert [(r.text, r.format) for r in found] == [(link, zxingcpp.BarcodeFormat.QRCode)]


def test_a_study_is_shared_through_accounts_that_hold_all_of_it_and_have_a_viewer() -> None:
    ready, bare, other = _account("A"), _account("B", preset=""), _account("C")
    accounts = [ready, bare, other]
    both = share_options({"A": "complete", "C": "complete", "B": "complete"}, accounts)
    assert [a.name for a in both.accounts] == ["A", "C"] and not both.reason

    no_viewer = share_options({"B": "complete", "A": "partial"}, accounts)
    assert not no_viewer.accounts
    assert no_viewer.reason.startswith("B has no viewer for doctors yet")

    partial = share_options({"A": "partial", "C": "none"}, accounts)
    assert partial.reason == ("Only part of this study is on A; upload it again to finish, "
                              "then share it.")
    for uploads in ({}, {"A": "none"}, {"Removed": "complete"}):
        nothing = share_options(uploads, accounts)
        assert not nothing.accounts
        assert nothing.reason.startswith("Upload this study to a cloud account first")


@pytest.mark.parametrize("preset", ["ohif", "orthanc-explorer-2", "stone", "weasis"])
def test_each_viewer_choice_gives_its_preset_and_is_recognised_again(preset: str) -> None:
    address = viewer_address(preset, DICOMWEB)
    assert address.template == preset_template(preset, DICOMWEB) and not address.problem
    # Shown for people: the study's place is "…", the jargon of the placeholder is not.
    assert PLACEHOLDER not in address.shown and "…" in address.shown
    assert viewer_choice_of(Account("a", DICOMWEB, "basic", "me",
                                    viewer_url=address.template)) == preset


def test_other_is_checked_and_none_gives_no_link() -> None:
    assert [c.key for c in viewer_choices()] == [
        "ohif", "orthanc-explorer-2", "stone", "weasis", OTHER, NO_VIEWER]
    assert viewer_address(NO_VIEWER, DICOMWEB) == viewer_address(NO_VIEWER, "")
    assert viewer_address(NO_VIEWER, DICOMWEB).template == ""
    typed = f"https://viewer.example.org/v?study={PLACEHOLDER}"
    good = viewer_address(OTHER, DICOMWEB, typed)
    assert (good.template, good.problem) == (typed, "")
    assert viewer_choice_of(Account("a", DICOMWEB, "basic", "me", viewer_url=typed)) == OTHER
    for wrong in ("", "https://viewer.example.org/v", f"http://viewer.example.org/{PLACEHOLDER}",
                  f"ftp://viewer.example.org/{PLACEHOLDER}",
                  f"https://me:pw@viewer.example.org/{PLACEHOLDER}",
                  f"https://viewer.example.org/ {PLACEHOLDER}"):
        problem = viewer_address(OTHER, DICOMWEB, wrong).problem
        assert problem and viewer_address(OTHER, DICOMWEB, wrong).template == ""
        assert problem.count(". ") == 0 and problem.endswith(".")  # One sentence.
        assert "StudyInstanceUID" not in problem
    assert viewer_address("ohif", "").problem.startswith("Enter the account's address")
    assert viewer_choice_of(Account("a", DICOMWEB, "basic", "me")) == NO_VIEWER


def test_a_share_is_described_in_local_time() -> None:
    share = ShareRow(UID, "My Clinic Cloud", "https://x/viewer", "copied",
                     "2026-12-02T07:24:12+00:00")
    assert describe_share(share, UTC) == (
        "Shared through My Clinic Cloud on 2 Dec 2026 at 07:24 (link copied)")
    east = timezone(timedelta(hours=10))
    assert "on 2 Dec 2026 at 17:24 (link copied)" in describe_share(share, east)
    printed = ShareRow(UID, "A", "l", "qr code", "2026-01-31T23:59:00+00:00")
    assert describe_share(printed, UTC).endswith("on 31 Jan 2026 at 23:59 (QR code saved)")
