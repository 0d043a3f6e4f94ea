"""The simple view for patients and the full view for doctors, without Qt."""

from pathlib import Path

import pytest

from app.core.models import InstanceRef, build_tree
from app.imaging.decode import open_image
from app.imaging.render import prepare_frame
from app.services.annotation_session import TOOLS
from app.services.plain_words import explain_listed_study, explain_scanned_study
from app.services.user_mode import (
    DEFAULT_MODE,
    DOCTOR,
    MODE_EXPLANATIONS,
    MODE_NAMES,
    PATIENT,
    UserMode,
    mode_from_setting,
)
from app.services.viewer_model import OpenSource, ViewerModel
from app.services.viewing import LoadedFrame


def test_a_new_install_and_odd_settings_start_in_the_simple_view() -> None:
    assert DEFAULT_MODE == PATIENT
    assert UserMode().mode == PATIENT
    assert mode_from_setting(None) == PATIENT
    assert mode_from_setting("") == PATIENT
    assert mode_from_setting("radiologist") == PATIENT
    assert mode_from_setting(" Doctor ") == DOCTOR
    assert mode_from_setting("patient") == PATIENT


def test_what_each_view_shows() -> None:
    mode = UserMode()
    assert mode.tools(TOOLS) == ("select", "length", "text", "arrow")
    assert (mode.shows_plain_words, mode.shows_glossary_link) == (True, True)
    assert not (mode.shows_tag_browser or mode.shows_presentation_states
                or mode.shows_technical_text or mode.shows_overlay_planes)
    mode.set_mode(DOCTOR)
    assert mode.tools(TOOLS) == TOOLS
    assert "angle" in mode.tools(TOOLS) and "freehand" in mode.tools(TOOLS)
    assert (mode.shows_plain_words, mode.shows_glossary_link) == (False, False)
    assert (mode.shows_tag_browser and mode.shows_presentation_states
            and mode.shows_technical_text and mode.shows_overlay_planes)


def test_switching_tells_observers_once_per_real_change() -> None:
    mode = UserMode()
    seen: list[str] = []
    mode.changed.connect(seen.append)
    mode.set_mode(PATIENT)
    mode.set_mode(DOCTOR)
    mode.set_mode(DOCTOR)
    mode.set_mode(PATIENT)
    assert seen == [DOCTOR, PATIENT]
    with pytest.raises(ValueError):
        mode.set_mode("nurse")  # type: ignore[arg-type]
    assert mode.mode == PATIENT


def test_each_choice_has_a_name_and_one_plain_sentence() -> None:
    assert MODE_NAMES == {PATIENT: "Simple view for patients", DOCTOR: "Full view for doctors"}
    for sentence in MODE_EXPLANATIONS.values():
        assert sentence.endswith(".") and sentence.count(". ") == 0


def _ref(number: int, **extra: str) -> InstanceRef:
    values = {"patient_id": "ID-7", "patient_name": "DOE^JANE", "study_date": "20240312",
              "study_description": "CT CHEST W", "institution_name": "St Mary's Hospital",
              "body_part_examined": "CHEST"}
    values.update(extra)
    return InstanceRef(path=f"s/{number}", sop_instance_uid=f"2.{number}",
                       sop_class_uid="1.2.840.10008.5.1.4.1.1.2", study_instance_uid="1.1",
                       series_instance_uid="1.1.1", modality="CT", series_number=2,
                       series_description="AXIAL 5MM", instance_number=number,
                       **values)  # type: ignore[arg-type]


def test_the_study_sentence_leaves_out_the_place_when_names_are_hidden() -> None:
    study = build_tree([_ref(i) for i in range(3)])[0].studies[0]
    shown = explain_scanned_study(study)
    hidden = explain_scanned_study(study, hide_place=True)
    assert "St Mary's Hospital" in shown
    assert hidden == shown.replace(" at St Mary's Hospital", "")
    assert "JANE" not in shown and "ID-7" not in shown  # names are never in a sentence


def test_the_simple_view_leaves_technical_lines_out_of_the_corners(corpus: Path) -> None:
    model = ViewerModel()
    model.open_source(OpenSource("medium", Path("/media/DISC")))
    model.set_tree(build_tree([_ref(i) for i in range(4)]))
    image = open_image(corpus / "files/signed/CT_small.dcm")
    model.frame_loaded(("s/0", 0), LoadedFrame(prepare_frame(image, 0), 1, _ref(0)))
    full = model.overlay()
    assert full.bottom_left[0] == "Image 1 / 4"
    assert full.bottom_left[1].startswith("C ") and " W " in full.bottom_left[1]
    assert full.bottom_right[0].startswith("Zoom ")
    overlays: list[object] = []
    model.overlay_changed.connect(overlays.append)
    model.set_full_detail(False)
    simple = model.overlay()
    assert len(overlays) == 1
    assert simple.top_left == full.top_left == ("DOE, JANE", "ID ID-7")
    assert simple.top_right == full.top_right
    assert simple.bottom_left == ("Image 1 / 4",)
    assert simple.bottom_right == ()
    model.set_full_detail(False)
    assert len(overlays) == 1  # no change, no redraw


def _series_refs(series: str, count: int, modality: str, sop_class: str,
                 description: str) -> list[InstanceRef]:
    return [InstanceRef(path=f"{series}/{i}", sop_instance_uid=f"{series}.{i}",
                        sop_class_uid=sop_class, study_instance_uid="1.1",
                        series_instance_uid=series, modality=modality,
                        series_number=int(series.split(".")[-1]),
                        series_description=description, instance_number=i,
                        study_date="20240312", study_description="CT CHEST")
            for i in range(count)]


def test_the_listed_study_counts_pictures_once_and_reports_apart() -> None:
    refs = _series_refs("1.2", 20, "CT", "1.2.840.10008.5.1.4.1.1.2", "AX CHEST")
    refs += _series_refs("1.3", 1, "SR", "1.2.840.10008.5.1.4.1.1.88.11", "Report")
    refs += _series_refs("1.4", 2, "PR", "1.2.840.10008.5.1.4.1.1.11.1", "Marks")
    study = build_tree(refs)[0].studies[0]
    assert explain_listed_study(study) == (
        "CT scan of the chest, taken 12 March 2024. 1 set of 20 pictures.\n1 document")
    images_only = build_tree(refs[:20])[0].studies[0]
    assert explain_listed_study(images_only) == explain_scanned_study(images_only)
    assert "\n" not in explain_listed_study(images_only)


def test_the_corner_count_follows_a_series_that_grows_while_the_disc_is_read() -> None:
    # The series list said "16 pictures" while the corner still said "Image 1 / 1".
    model = ViewerModel()
    model.open_source(OpenSource("medium", Path("/media/DISC")))
    refs = [_ref(i) for i in range(16)]
    model.set_tree(build_tree(refs[:1]))
    assert model.overlay().bottom_left[0] == "Image 1 / 1"
    shown: list[str] = []
    model.overlay_changed.connect(lambda overlay: shown.append(overlay.bottom_left[0]))
    model.set_tree(build_tree(refs))
    assert shown[-1] == "Image 1 / 16"
