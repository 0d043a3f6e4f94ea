"""The viewer model without Qt: navigation, cine, privacy, overlay text, window choices."""

from dataclasses import replace
from pathlib import Path

import pytest

from app.core.models import InstanceRef, build_tree
from app.imaging.decode import open_image
from app.imaging.render import prepare_frame
from app.services.privacy import BURNED_IN_NOTICE, Privacy
from app.services.viewer_model import OpenSource, ViewerModel, default_series
from app.services.viewer_text import (
    contents_text,
    counts_text,
    display_date,
    is_unattributed,
    modality_words,
    series_label,
)
from app.services.viewing import LoadedFrame

PDF_CLASS = "1.2.840.10008.5.1.4.1.1.104.1"


def _ref(series: str, number: int, modality: str = "CT", study: str = "1.1",
         sop_class: str = "1.2.840.10008.5.1.4.1.1.2", **extra: object) -> InstanceRef:
    values: dict[str, object] = {
        "patient_id": "ID-7", "patient_name": "DOE^JANE", "patient_birth_date": "19800102",
        "study_date": "20240312", "study_description": "Chest",
    }
    values.update(extra)
    return InstanceRef(
        path=f"{series}/{number}", sop_instance_uid=f"{series}.{number}",
        sop_class_uid=sop_class, study_instance_uid=study, series_instance_uid=series,
        modality=modality, series_number=int(series.split(".")[-1]),
        series_description=f"Series {series}", instance_number=number,
        **values,  # type: ignore[arg-type]
    )


def _model(refs: list[InstanceRef], privacy: Privacy | None = None) -> ViewerModel:
    model = ViewerModel(privacy)
    model.open_source(OpenSource("medium", Path("/media/DISC")))
    model.set_tree(build_tree(refs))
    return model


def _loaded(path: Path, as_path: str, modality: str = "", burned_in: str = "") -> LoadedFrame:
    image = open_image(path)
    header = InstanceRef(path=as_path, sop_instance_uid="x", modality=modality,
                         patient_name="DOE^JANE", patient_id="ID-7")
    return LoadedFrame(prepare_frame(image, 0), image.number_of_frames, header, burned_in)


def test_default_series_is_the_largest_image_series_of_the_first_study() -> None:
    refs = [_ref("2.1", i) for i in range(3)] + [_ref("2.2", i) for i in range(5)]
    refs += [_ref("2.3", i, "SR", sop_class="1.2.840.10008.5.1.4.1.1.88.11") for i in range(9)]
    refs += [_ref("3.1", i, study="1.2", study_date="20250101") for i in range(20)]
    first = default_series(build_tree(refs))
    assert first is not None and first.series_instance_uid == "2.2"
    model = _model(refs)
    assert model.series is not None and model.series.series_instance_uid == "2.2"


def test_navigation_steps_pages_clamps_and_wraps_for_cine() -> None:
    model = _model([_ref("2.1", i) for i in range(25)])
    positions: list[int] = []
    wanted: list[list[str]] = []
    model.position_changed.connect(positions.append)
    model.frames_wanted.connect(lambda slices: wanted.append([s.key[0] for s in slices]))
    model.step(1)
    assert model.index == 1 and wanted[-1][0] == "2.1/1"
    model.page(1)
    assert model.index == 11
    model.last()
    assert model.index == 24
    model.step(1)
    assert model.index == 24  # clamped: no event
    model.cine_tick()
    assert model.index == 0  # cine wraps
    model.page(-1)
    assert model.index == 0
    assert positions == [1, 11, 24, 0]
    model.go_to(7)
    assert wanted[-1][:2] == ["2.1/7", "2.1/8"]  # neighbours ahead come next


def test_next_and_previous_series_follow_the_tree() -> None:
    model = _model([_ref("2.1", 0), _ref("2.2", 0), _ref("2.2", 1)])
    assert model.series is not None and model.series.series_instance_uid == "2.2"
    model.step_series(-1)
    assert model.series.series_instance_uid == "2.1"
    model.step_series(-1)
    assert model.series.series_instance_uid == "2.1"
    model.step_series(1)
    assert model.series.series_instance_uid == "2.2"


def test_a_series_whose_files_hold_no_image_leaves_and_the_view_moves_on() -> None:
    """A disc's list named files that turned out to be junk: the tree without them
    shrinks the series shown, or, when none of its files is left, shows the series a
    medium opens on."""
    refs = [_ref("2.1", 0), _ref("2.2", 0), _ref("2.2", 1), _ref("2.2", 2)]
    model = _model(refs)
    assert model.series is not None and model.series.series_instance_uid == "2.2"
    model.go_to(2)
    model.set_tree(build_tree([r for r in refs if r.path != "2.2/1"]))
    assert model.series.series_instance_uid == "2.2" and model.count == 2
    assert model.slices is not None and model.slices.current.key == ("2.2/2", 0)
    model.select_series(next(s for p in model.patients for st in p.studies
                             for s in st.series if s.series_instance_uid == "2.1"))
    model.set_tree(build_tree([r for r in refs if r.series_instance_uid == "2.2"]))
    assert model.series.series_instance_uid == "2.2" and model.count == 3


def test_cine_plays_only_a_series_of_several_frames_and_keeps_fps_in_range() -> None:
    single = _model([_ref("2.1", 0)])
    single.set_playing(True)
    assert not single.playing
    model = _model([_ref("2.1", i) for i in range(3)])
    changes: list[bool] = []
    model.cine_changed.connect(changes.append)
    model.set_playing(True)
    model.set_fps(500)
    assert model.playing and model.fps == 60
    model.step_series(0)  # the same series: nothing changes
    model.open_source(OpenSource("medium", Path("/other")))
    assert changes == [True, False]


def test_a_report_series_asks_for_its_document() -> None:
    refs = [_ref("2.1", 0, "OT", sop_class=PDF_CLASS)]
    model = ViewerModel()
    asked: list[str] = []
    model.document_wanted.connect(lambda ref: asked.append(ref.path))
    model.open_source(OpenSource("medium", Path("/d")))
    model.set_tree(build_tree(refs))
    assert asked == ["2.1/0"] and model.slices is None


def test_overlay_lines_and_privacy(corpus: Path) -> None:
    privacy = Privacy()
    model = _model([_ref("2.1", i) for i in range(4)], privacy)
    model.frame_loaded(("2.1/0", 0), _loaded(corpus / "files/signed/CT_small.dcm", "2.1/0",
                                             "CT"))
    overlay = model.overlay()
    text = " ".join(" ".join(c) for c in overlay.corners)
    assert overlay.top_left[0] == "DOE, JANE"
    assert "ID ID-7" in overlay.top_left
    assert "Image 1 / 4" in overlay.bottom_left
    assert any(line.startswith("C ") and " W " in line for line in overlay.bottom_left)
    assert "12 Mar 2024" in text and "CT scan" in text
    titles: list[str] = []
    model.title_changed.connect(titles.append)
    assert "DOE, JANE" in model.title()
    privacy.set_hidden(True)
    hidden = " ".join(" ".join(c) for c in model.overlay().corners)
    assert "JANE" not in hidden and "ID-7" not in hidden and "1980" not in hidden
    assert "JANE" not in titles[-1] and "DISC" in titles[-1]
    assert model.overlay().notice == ""  # a CT rarely has the name in its pixels
    model.set_overlay_visible(False)
    assert model.overlay().corners == ((), (), (), ())


def test_two_models_share_privacy_but_nothing_else() -> None:
    privacy = Privacy()
    first = _model([_ref("2.1", i) for i in range(4)], privacy)
    second = _model([_ref("5.1", i) for i in range(2)], privacy)
    first.step(2)
    assert second.index == 0
    privacy.set_hidden(True)
    assert "JANE" not in first.title() and "JANE" not in second.title()
    second.close()
    assert second.privacy is privacy


@pytest.mark.parametrize("modality", ["US", "OT"])
def test_burned_in_notice_with_privacy_on(modality: str, corpus: Path) -> None:
    privacy = Privacy(hidden=True)
    model = _model([_ref("2.1", 0, modality)], privacy)
    model.frame_loaded(("2.1/0", 0), _loaded(corpus / "files/signed/CT_small.dcm", "2.1/0",
                                             modality))
    assert model.overlay().notice == BURNED_IN_NOTICE
    privacy.set_hidden(False)
    assert model.overlay().notice == ""


def test_burned_in_annotation_yes_brings_the_notice_on_any_modality(corpus: Path) -> None:
    model = _model([_ref("2.1", 0)], Privacy(hidden=True))
    model.frame_loaded(("2.1/0", 0), _loaded(corpus / "files/signed/CT_small.dcm", "2.1/0",
                                             "CT", burned_in="YES"))
    assert model.overlay().notice == BURNED_IN_NOTICE


def test_window_choices_fit_the_modality(corpus: Path) -> None:
    ct = _model([_ref("2.1", 0)])
    ct.frame_loaded(("2.1/0", 0), _loaded(corpus / "files/signed/CT_small.dcm", "2.1/0", "CT"))
    labels = [c.label for c in ct.window_choices()]
    assert "Lung" in labels and labels.index("Min-max") < labels.index("Lung")
    mr = _model([_ref("2.1", 0, "MR")])
    offered: list[list[str]] = []
    mr.window_choices_changed.connect(lambda cs: offered.append([c.kind for c in cs]))
    mr.frame_loaded(("2.1/0", 0), _loaded(corpus / "files/big_endian/MR_small_bigendian.dcm",
                                          "2.1/0", "MR"))
    kinds = [c.kind for c in mr.window_choices()]
    assert "preset" not in kinds and offered and offered[-1] == kinds
    lung = next(c for c in ct.window_choices() if c.label == "Lung")
    ct.choose_window(lung)
    assert ct.state.voi == lung.voi
    ct.invert()
    assert ct.state.invert
    assert "C -600  W 1500" in ct.overlay().bottom_left


def test_zoom_follows_the_view_size_when_fitting(corpus: Path) -> None:
    model = _model([_ref("2.1", 0)])
    model.frame_loaded(("2.1/0", 0), _loaded(corpus / "files/signed/CT_small.dcm", "2.1/0"))
    zooms: list[str] = []
    model.overlay_changed.connect(lambda o: zooms.append(o.bottom_right[0]))
    model.set_view_size(256, 512)
    model.set_view_size(512, 384)
    assert zooms == ["Zoom 200%", "Zoom 300%"]  # CT_small is 128 x 128
    model.zoom_by(0.5)
    assert not model.fit and model.effective_zoom() == 1.5
    model.set_view_size(1000, 1000)
    assert model.effective_zoom() == 1.5


def test_texts_for_people() -> None:
    assert display_date("20240312") == "12 Mar 2024"
    assert display_date("unknown") == "unknown"
    assert modality_words("OT") == "Other image" and modality_words("MR") == "MRI"
    assert counts_text(2, 1) == "2 images, 1 document" and counts_text(1) == "1 image"
    refs = [_ref("2.1", 0), _ref("2.1", 1),
            _ref("2.2", 0, "SR", sop_class="1.2.840.10008.5.1.4.1.1.88.11")]
    tree = build_tree(refs)
    assert contents_text(tree) == "2 images, 1 document in 2 series"
    # The simple view for patients says it without "series" and "images".
    assert contents_text(tree, plain=True) == "2 pictures, 1 document in 2 sets"
    one = build_tree([_ref("2.1", 0)])
    assert contents_text(one, plain=True) == "1 picture in 1 set"
    assert contents_text(one) == "1 image in 1 series"
    assert series_label(tree[0].studies[0].series[0]) == "1 · CT scan · Series 2.1"
    unknown = build_tree([_ref("2.1", 0, patient_id="", patient_name="")])
    assert is_unattributed(unknown[0]) and not is_unattributed(tree[0])


def test_markers_follow_rotation(corpus: Path) -> None:
    model = _model([_ref("2.1", 0)])
    loaded = _loaded(corpus / "files/signed/CT_small.dcm", "2.1/0", "CT")
    model.frame_loaded(("2.1/0", 0), replace(loaded, image_orientation=(1, 0, 0, 0, 1, 0)))
    assert (model.markers().left, model.markers().right) == ("R", "L")
    assert (model.markers().top, model.markers().bottom) == ("A", "P")
    model.rotate(90)
    assert (model.markers().top, model.markers().right) == ("R", "A")


def test_descriptions_from_a_disc_cannot_reorder_the_screen() -> None:
    from app.services.viewer_text import display_name, display_text

    assert display_text("CHEST\u202eTSEHC\x1b[2J ") == "CHESTTSEHC[2J"
    assert display_name("DOE\u2066^JOHN\u2069") == "DOE, JOHN"
