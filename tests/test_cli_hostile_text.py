"""Names and File IDs from a crafted disc never reach the terminal raw (issue 9)."""

import json
import zipfile
from pathlib import Path

import pytest

from app.core.printable import displayable, json_safe, printable
from app.services.viewer_text import display_name, series_label
from tests.media.test_hostile_media import dicom_bytes
from tests.support.cli import run_in_process

HOSTILE = "EVIL\x1b[2J\x07\r\n0 problems\x00\x9b\u202eNHOJ^\u2066X\u2069"


def test_printable_escapes_controls_and_bidi() -> None:
    assert printable("A\x1b[2JB\x07\r\n\x00\x85\u202a\u202e\u2066\u2069") == (
        "A\\x1b[2JB\\x07\\x0d\\x0a\\x00\\x85\\u202a\\u202e\\u2066\\u2069"
    )
    assert printable("Müller^Zoë 王") == "Müller^Zoë 王"
    assert displayable("DOE\u202e^JOHN\x1b") == "DOE^JOHN"
    assert json.loads(json_safe(json.dumps({"n": HOSTILE}, ensure_ascii=False))) == {
        "n": HOSTILE}


def test_display_name_drops_bidi_overrides() -> None:
    assert display_name("\u202eNHOJ^EOD\u202c") == "NHOJ, EOD"
    assert display_name("DOE^\u2067JOHN\u2069\x1b[31m") == "DOE, JOHN[31m"


def test_series_label_drops_controls() -> None:
    from app.core.models import SeriesNode

    node = SeriesNode("1.2", "CT", 2, "Chest\u202e\r\n", ())
    assert "\u202e" not in series_label(node) and "\r" not in series_label(node)


def test_scan_and_library_list_escape_names(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    archive = tmp_path / "disc.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("IMG\x1b[2J\u202e1", dicom_bytes(SpecificCharacterSet="ISO_IR 192",
                                                    PatientName=HOSTILE,
                                                    StudyDescription="Head\u202e\x9b"))
        z.writestr("NOTE\x07", b"junk")
    code, out, _ = run_in_process(capsys, "scan", str(archive))
    assert code == 0
    assert all(ch not in out for ch in "\x1b\x07\r\x00\x9b\u202e\u2066")
    assert "EVIL\\x1b[2J\\x07\\x0d\\x0a0 problems\\x00\\x9b\\u202eNHOJ" in out
    code, out, _ = run_in_process(capsys, "scan", str(archive), "--json")
    assert "\u202e" not in out and "\x9b" not in out
    assert json.loads(out)["patients"][0]["patient_name"].startswith("EVIL\x1b[2J")
    monkeypatch.setenv("LIGHTBOX_HOME", str(tmp_path / "home"))
    run_in_process(capsys, "import", str(archive))
    code, out, _ = run_in_process(capsys, "library", "list")
    assert code == 0 and "EVIL\\x1b[2J" in out
    assert all(ch not in out for ch in "\x1b\x07\r\x00\x9b\u202e\u2066")
