"""Crash reports: scrubbed messages, code locations only, logs under LIGHTBOX_HOME/logs."""

import re
from datetime import datetime
from importlib import metadata
from pathlib import Path

import pytest
from pydicom.dataset import Dataset

from app import __version__
from app.services.about import LICENCE, component_versions
from app.services.crash_report import (
    CrashReport,
    build_report,
    crash_logs,
    format_report,
    logs_dir,
    scrub_message,
    short_file_name,
    write_crash_log,
)

PATIENT_NAME = "DOE^JANE MARIE"
PATIENT_ID = "PID8675309"
NUMERIC_ID = "4711042"
BIRTH_DATE = "19700101"
STUDY_UID = "1.2.826.0.1.3680043.8.498.12345678901234567890"
WHEN = datetime(2025, 3, 4, 5, 6, 7)


def assert_no_patient_data(text: str) -> None:
    words = set(re.findall(r"[a-z0-9]+", text.lower()))
    for secret in ("doe", "jane", "marie", PATIENT_ID.lower(), NUMERIC_ID, BIRTH_DATE):
        assert secret not in words, f"{secret!r} leaked into: {text}"
    for secret in (PATIENT_ID, NUMERIC_ID, BIRTH_DATE):
        assert secret not in text


def patient_dataset() -> Dataset:
    ds = Dataset()
    ds.PatientName = PATIENT_NAME
    ds.PatientID = PATIENT_ID
    ds.OtherPatientIDs = NUMERIC_ID
    ds.PatientBirthDate = BIRTH_DATE
    ds.StudyInstanceUID = STUDY_UID
    return ds


def crash_with_patient_data() -> BaseException:
    """An exception whose message and locals hold a name, IDs and a birth date."""
    dataset = patient_dataset()
    patient = str(dataset.PatientName)
    try:
        try:
            {}[patient]  # the KeyError's message is the name
        except KeyError as exc:
            raise ValueError(f"cannot read {dataset!r} of {patient} ({PATIENT_ID}, "
                             f"{NUMERIC_ID}) in study {STUDY_UID}") from exc
    except ValueError as exc:
        return exc
    raise AssertionError("unreachable")


def test_a_message_keeps_safe_words_and_uids_only() -> None:
    scrubbed = scrub_message(f"'{PATIENT_NAME}' is not a valid key for {PATIENT_ID} / "
                             f"{NUMERIC_ID} born {BIRTH_DATE} in study {STUDY_UID}")
    assert_no_patient_data(scrubbed)
    assert "is not a valid key for" in scrubbed
    assert STUDY_UID in scrubbed


@pytest.mark.parametrize("secret", [
    "Long^Anna", "Young", "WHITE^GRANT", "Müller^Jürgen", "山田^太郎", "01.02.1970", "3.14",
    "12345", "jane.doe@example.org", "/home/jane/discs/DOE^JANE", "+41 79 123 45 67",
])
def test_names_numbers_dates_and_paths_are_dropped(secret: str) -> None:
    scrubbed = scrub_message(f"failed for {secret}")
    assert scrubbed.startswith("failed for")
    for part in re.findall(r"\w+", secret):
        assert part not in scrubbed


def test_a_message_that_is_all_data_leaves_the_type_alone() -> None:
    report = build_report(KeyError(PATIENT_NAME), now=WHEN)
    text = format_report(report)
    assert_no_patient_data(text)
    assert "KeyError" in text


def test_a_report_holds_types_files_and_lines_but_no_patient_data() -> None:
    exc = crash_with_patient_data()
    text = format_report(build_report(exc, "main thread", {"Qt": "6.x"}, now=WHEN))
    assert_no_patient_data(text)
    assert "KeyError" in text and "ValueError" in text
    assert "direct cause" in text
    assert "tests/services/test_crash_report.py" in text
    assert re.search(r'File "tests/services/test_crash_report.py", line \d+, '
                     r"in crash_with_patient_data", text)
    assert STUDY_UID in text  # UIDs identify no one and help find the file
    assert f"Lightbox: {__version__}" in text
    assert "Python: " in text and "OS: " in text and "Qt: 6.x" in text


def test_a_broken_str_does_not_break_the_report() -> None:
    class Nasty(Exception):
        def __str__(self) -> str:
            raise RuntimeError(PATIENT_NAME)

    text = format_report(build_report(Nasty(), now=WHEN))
    assert "Nasty" in text
    assert_no_patient_data(text)


def test_file_names_lose_the_folders_that_may_name_someone() -> None:
    assert short_file_name("/home/jane/src/lightbox/app/gui/viewport.py") == \
        "app/gui/viewport.py"
    assert short_file_name(
        "/home/jane/.venv/lib/python3.11/site-packages/pydicom/dataset.py") == \
        "pydicom/dataset.py"
    assert short_file_name("/home/jane/DOE^JANE/script.py") == "script.py"


def test_the_log_goes_to_lightbox_home_logs(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIGHTBOX_HOME", str(tmp_path / "home"))
    path = write_crash_log(build_report(crash_with_patient_data(), now=WHEN))
    assert path == tmp_path / "home" / "logs" / "crash-20250304-050607.log"
    assert logs_dir() == tmp_path / "home" / "logs"
    text = path.read_text(encoding="utf-8")
    assert "ValueError" in text
    assert_no_patient_data(text)


def test_logs_of_the_same_second_do_not_overwrite_and_only_the_newest_are_kept(
        tmp_path: Path) -> None:
    report = build_report(RuntimeError("boom"), now=WHEN)
    paths = [write_crash_log(report, tmp_path, keep=3) for _ in range(5)]
    assert [p.name for p in paths if p] == [
        "crash-20250304-050607.log", "crash-20250304-050607-1.log",
        "crash-20250304-050607-2.log", "crash-20250304-050607-3.log",
        "crash-20250304-050607-4.log"]
    assert [p.name for p in crash_logs(tmp_path)] == [
        "crash-20250304-050607-2.log", "crash-20250304-050607-3.log",
        "crash-20250304-050607-4.log"]
    later = CrashReport(datetime(2025, 3, 5), report.where, report.environment, report.chain)
    newest = write_crash_log(later, tmp_path, keep=3)
    assert newest is not None
    kept = crash_logs(tmp_path)
    assert len(kept) == 3 and kept[-1] == newest
    (tmp_path / "logs" / "other.txt").write_text("not ours")
    write_crash_log(later, tmp_path, keep=1)
    assert len(crash_logs(tmp_path)) == 1
    assert (tmp_path / "logs" / "other.txt").exists()  # only crash logs are rotated


def test_an_unwritable_home_gives_no_log_and_no_error(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.write_text("a file where the folder should be")
    assert write_crash_log(build_report(RuntimeError("x"), now=WHEN), home) is None


def test_about_lists_every_decoder_with_its_installed_version() -> None:
    versions = dict(component_versions())
    for name in ("pydicom", "pylibjpeg", "pylibjpeg-libjpeg", "pylibjpeg-openjpeg",
                 "pylibjpeg-rle", "imagecodecs", "pillow", "numpy"):
        assert versions[name] == metadata.version(name)
    assert LICENCE == "GPL-3.0-or-later"
