"""The words and small rules behind the export and share-a-copy dialogs: the copy's name
never gives away whose it is, places that are taken get a free name, a drag becomes a
rectangle of image pixels, the accounts a copy can be shared through, and the review's
choices in plain words."""

from datetime import date
from pathlib import Path

from app.services.accounts_service import Account
from app.services.copy_review import (
    BLACK_OUT,
    EXCLUDE,
    INCLUDE,
    BlackoutRule,
    Rectangle,
    ReviewImage,
    choice_for,
    choices_summary,
    dragged_rectangle,
    plain_reason,
    review_intro,
    shown_rectangles,
)
from app.services.export_words import (
    copy_accounts,
    free_name,
    place_for,
    place_problem,
    suggested_name,
)
from app.services.library_service import StudyRow

TODAY = date(2026, 12, 2)


def _row(study_date: str) -> StudyRow:
    return StudyRow("1.2.3", "ID-1", "DOE^JANE", "19700101", study_date, "CT head", ("CT",),
                    1, 10, "disc", {})


def _image(modality: str = "US", reason: str = "it is a US image, a kind that often has "
           "text drawn in") -> ReviewImage:
    return ReviewImage("1.2.3", "1.2.3.4", modality, 480, 640, "Ultrasound, image 1", reason)


def test_the_suggested_name_says_what_and_never_whose() -> None:
    assert suggested_name([_row("20240102")], False, TODAY) == "Medical images 2024-01-02"
    assert suggested_name([_row("20240102"), _row("20250101")], False, TODAY) == (
        "Medical images 2026-12-02")
    # Without the name, the real study date (moved inside the copy) is not in its name.
    assert suggested_name([_row("20240102")], True, TODAY) == (
        "Medical images without name 2026-12-02")


def test_a_taken_place_gets_a_free_name(tmp_path: Path) -> None:
    assert place_for(tmp_path, "Copy", "zip") == tmp_path / "Copy.zip"
    assert place_for(tmp_path, "Copy.ZIP", "zip") == tmp_path / "Copy.ZIP"
    assert place_for(tmp_path, "Copy", "folder") == tmp_path / "Copy"
    (tmp_path / "Copy.zip").write_bytes(b"x")
    (tmp_path / "Copy (2).zip").write_bytes(b"x")
    assert free_name(tmp_path, "Copy", "zip") == "Copy (3)"
    (tmp_path / "Copy").mkdir()  # An empty folder may take the copy.
    assert free_name(tmp_path, "Copy", "folder") == "Copy"
    (tmp_path / "Copy" / "file").write_bytes(b"x")
    assert free_name(tmp_path, "Copy", "folder") == "Copy (2)"
    assert place_problem(str(tmp_path), " ") == "Give the copy a name."
    assert place_problem(str(tmp_path / "nowhere"), "Copy").startswith("The folder ")
    assert place_problem(str(tmp_path), "a/b").startswith("The name cannot hold")
    assert place_problem(str(tmp_path), "Copy") == ""


def test_a_drag_is_a_rectangle_of_image_pixels_clipped_to_the_image() -> None:
    assert dragged_rectangle(10.2, 5.7, 30.5, 20.1, 100, 200) == Rectangle(10, 5, 21, 16)
    assert dragged_rectangle(30.5, 20.1, 10.2, 5.7, 100, 200) == Rectangle(10, 5, 21, 16)
    assert dragged_rectangle(-20, -5, 250, 150, 100, 200) == Rectangle(0, 0, 200, 100)
    assert dragged_rectangle(10, 10, 10.5, 40, 100, 200) is None  # a click
    assert dragged_rectangle(300, 300, 400, 400, 100, 200) is None  # beside the image


def test_a_saved_rule_decides_unless_the_user_chose() -> None:
    image = _image()
    rule = BlackoutRule("US", 480, 640, (Rectangle(0, 0, 640, 40),))
    other = BlackoutRule("US", 600, 800, (Rectangle(0, 0, 8, 8),))
    assert choice_for(image, []) == EXCLUDE
    assert choice_for(image, [other]) == EXCLUDE
    assert choice_for(image, [other, rule]) == BLACK_OUT
    assert choice_for(image, [rule], INCLUDE) == INCLUDE
    assert choice_for(image, [rule], EXCLUDE) == EXCLUDE
    assert shown_rectangles(image, BLACK_OUT, [rule]) == rule.rectangles
    assert shown_rectangles(image, INCLUDE, [rule]) == ()
    assert image.kind == "Ultrasound, 640 x 480 pixels"


def test_the_review_in_plain_words() -> None:
    assert choices_summary([EXCLUDE, EXCLUDE, INCLUDE, BLACK_OUT]) == (
        "2 left out, 1 included as it is, 1 blacked out")
    assert choices_summary([INCLUDE, INCLUDE]) == "2 included as they are"
    assert review_intro(1).startswith("1 picture may have writing")
    assert review_intro(3).startswith("3 pictures may have writing")
    assert plain_reason(_image()) == (
        "Ultrasound machines often write the name and the date into the picture.")
    marked = _image("CT", "it is marked as having burned-in annotation")
    assert plain_reason(marked) == "The file itself says that the picture has writing in it."
    for reason in (plain_reason(_image(m)) for m in ("US", "SC", "OT", "XC", "CT")):
        assert "US" not in reason and "burned" not in reason


def test_only_accounts_with_a_viewer_can_share_a_copy() -> None:
    bare = Account("cloud", "https://cloud.example.org/dicom-web", "basic", "me")
    viewer = Account("doctors", "https://cloud.example.org/dicom-web", "basic", "me",
                     viewer_url="https://cloud.example.org/viewer?study={StudyInstanceUID}")
    both = copy_accounts([bare, viewer])
    assert both.accounts == (viewer,)
    assert both.reason == "cloud is not offered: no viewer for doctors, so no link."
    assert copy_accounts([viewer]) == copy_accounts([viewer]) and not copy_accounts(
        [viewer]).reason
    none = copy_accounts([bare])
    assert none.accounts == () and none.reason.startswith("cloud has no viewer for doctors")
    assert copy_accounts([]).reason.startswith("You have no cloud account yet.")
