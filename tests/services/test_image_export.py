"""Save image as / Copy image rules: the file name, the format, the sentences and the
all-or-nothing write."""

import os
from dataclasses import replace
from pathlib import Path

import pytest

from app.core.models import InstanceRef
from app.services.image_export import (
    TEXT_EXPLANATION,
    TEXT_OPTION,
    ExportOptions,
    ImageSaveError,
    copied_sentence,
    saved_sentence,
    size_label,
    suggested_file_name,
    target_and_format,
    write_atomically,
)
from tests.support.tmpfs import tmpfs

REF = InstanceRef(
    path="/disc/IMG0001", sop_instance_uid="1.2.3", patient_id="PID-778899",
    patient_name="DOE^Jane", patient_birth_date="19700101", study_date="20240102",
    series_number=3, instance_number=12, series_description="DOE Jane knee",
    study_description="Jane Doe follow-up",
)


def test_the_suggested_name_says_when_and_which_image_but_not_who() -> None:
    name = suggested_file_name(REF)
    assert name == "image-2024-01-02-series-3-12.png"
    for private in ("DOE", "Jane", "PID", "778899", "1970"):
        assert private.lower() not in name.lower()
    assert suggested_file_name(REF, image_format="JPEG").endswith(".jpg")


def test_the_suggested_name_without_date_or_numbers_and_for_a_frame() -> None:
    bare = replace(REF, study_date="2024", series_number=None, instance_number=None)
    assert suggested_file_name(bare) == "image.png"
    assert suggested_file_name(None) == "image.png"
    cine = replace(REF, number_of_frames=40)
    assert suggested_file_name(cine, frame=4) == "image-2024-01-02-series-3-12-frame-5.png"


@pytest.mark.parametrize(("chosen", "jpeg", "expected", "fmt"), [
    ("/x/a.png", False, "/x/a.png", "PNG"),
    ("/x/a.JPG", False, "/x/a.JPG", "JPEG"),
    ("/x/a.jpeg", False, "/x/a.jpeg", "JPEG"),
    ("/x/a.png", True, "/x/a.png", "PNG"),  # The suffix typed wins over the filter.
    ("/x/a", True, "/x/a.jpg", "JPEG"),
    ("/x/a", False, "/x/a.png", "PNG"),
    ("/x/knee.v2", False, "/x/knee.v2.png", "PNG"),
])
def test_the_format_follows_the_suffix_or_else_the_file_type(
    chosen: str, jpeg: bool, expected: str, fmt: str
) -> None:
    assert target_and_format(chosen, jpeg) == (Path(expected), fmt)


def test_the_corner_text_is_off_by_default_and_says_why() -> None:
    assert ExportOptions().text is False
    assert "name" in TEXT_OPTION
    assert "by accident" in TEXT_EXPLANATION
    assert TEXT_EXPLANATION.count(".") == 1


def test_sentences() -> None:
    assert "512 × 400" in size_label("image", 512, 400)
    assert "zoom" in size_label("screen", 800, 600)
    said = saved_sentence(Path("/p/a.png"), 512, 400, "PNG", False)
    assert said.startswith("Saved the picture") and "/p/a.png" in said
    assert "without the corner text" in said
    assert "with the corner text" in saved_sentence(Path("/p/a.png"), 1, 1, "JPEG", True)
    assert "paste" in copied_sentence(800, 600)


def test_write_atomically_replaces_whole_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "a.png"
    target.write_bytes(b"old")
    write_atomically(target, b"new picture")
    assert target.read_bytes() == b"new picture"
    assert os.listdir(tmp_path) == ["a.png"]
    mask = os.umask(0)
    os.umask(mask)
    fresh = tmp_path / "b.png"
    write_atomically(fresh, b"picture")
    assert fresh.stat().st_mode & 0o777 == 0o666 & ~mask  # Not mkstemp's private 0600.


def _one_sentence(message: str) -> None:
    assert message.count(".") == 1 and message.endswith(".") and "\n" not in message


def test_a_read_only_place_is_one_sentence_and_leaves_nothing(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "readonly", "ro,size=1m") as folder:
        with pytest.raises(ImageSaveError) as caught:
            write_atomically(folder / "a.png", b"picture")
        assert os.listdir(folder) == []
    _one_sentence(str(caught.value))
    assert "may not write" in str(caught.value)


def test_a_full_disk_is_one_sentence_and_leaves_nothing(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "small", "size=64k") as folder:
        with pytest.raises(ImageSaveError) as caught:
            write_atomically(folder / "a.png", b"\0" * 1_000_000)
        assert os.listdir(folder) == []
    _one_sentence(str(caught.value))
    assert "is full" in str(caught.value)


def test_a_missing_folder_is_one_sentence(tmp_path: Path) -> None:
    with pytest.raises(ImageSaveError, match="does not exist"):
        write_atomically(tmp_path / "gone" / "a.png", b"picture")
