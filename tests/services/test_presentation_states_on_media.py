"""A presentation state (GSPS) on a disc: found, imported into the library with its study,
not listed as a series to view, and read for drawing from the disc and from the library;
the annotations of an open disc saved as one."""

import shutil
from pathlib import Path

import pytest
from pydicom import dcmread
from pydicom.fileset import FileSet
from pydicom.uid import generate_uid

from app.core.errors import PresentationStateError
from app.imaging.gsps_writer import write_gsps
from app.imaging.luts import Window
from app.imaging.presentation_state import (
    GSPS_CLASS,
    Graphic,
    ImageAnnotations,
    ImageRef,
    read_gsps,
)
from app.library.library import Library
from app.services.presentation_states import save_presentation_state
from app.services.viewer_model import all_series, default_series
from app.services.viewer_text import (
    contents_text,
    is_presentation_state,
    presentation_states,
    shown_series,
)
from app.services.viewing import MediumReader, tree_of
from tests.library.helpers import index_rows, run_import

LINE = Graphic("polyline", ((3.0, 4.0), (30.0, 40.0)), label="42.1 mm")


def disc_with_gsps(small_disc: Path, tmp_path: Path) -> tuple[Path, str, str]:
    """A copy of the small disc with a GSPS written beside its images (the DICOMDIR does
    not list it, as on discs burnt before the presentation state was made)."""
    disc = tmp_path / "disc"
    shutil.copytree(small_disc, disc)
    headers = [dcmread(p, stop_before_pixels=True) for p in sorted(disc.rglob("*"))
               if p.is_file() and p.name != "DICOMDIR"]
    series_uid = max({str(h.SeriesInstanceUID) for h in headers},
                     key=lambda uid: sum(str(h.SeriesInstanceUID) == uid for h in headers))
    images = [h for h in headers if str(h.SeriesInstanceUID) == series_uid]
    target = images[0]
    ref = ImageRef(str(target.SOPClassUID), str(target.SOPInstanceUID))
    uid = generate_uid()
    write_gsps(images, [ImageAnnotations(ref, (LINE,))], disc / "PSTATE" / "PS000001",
               series_instance_uid=generate_uid(), sop_instance_uid=uid)
    return disc, uid, str(target.SOPInstanceUID)


def test_a_gsps_on_a_disc_is_kept_but_not_listed(small_disc: Path, tmp_path: Path,
                                                 library: Library) -> None:
    disc, uid, image_uid = disc_with_gsps(small_disc, tmp_path)
    _, report = run_import(disc, library)
    assert report.failed == () and report.imported == len(index_rows(library.home))
    assert uid in index_rows(library.home)
    study_uid = library.study_of(uid)
    assert study_uid is not None
    instances = library.study_instances(study_uid)
    (stored,) = [ref for ref in instances if ref.sop_instance_uid == uid]
    assert stored.sop_class_uid == GSPS_CLASS
    patients = tree_of(instances)
    series = [s for p in patients for st in p.studies for s in st.series]
    states = [s for s in series if is_presentation_state(s)]
    assert len(states) == 1 and states[0].modality == "PR"
    assert states[0] not in shown_series(series)
    assert states[0] not in all_series(patients)
    assert default_series(patients) is not None
    assert not is_presentation_state(default_series(patients))  # type: ignore[arg-type]
    images = sum(len(s.instances) for s in series if not is_presentation_state(s))
    assert contents_text(patients).startswith(f"{images} images")
    assert [ref.sop_instance_uid for ref in presentation_states(patients, study_uid)] == [uid]

    # From the library, as the viewer reads a library study.
    reader = MediumReader(library.store.root, tuple(instances))
    reader.open()
    try:
        state = reader.presentation_state(stored.path)
    finally:
        reader.close()
    drawn = state.for_image(image_uid)
    assert drawn is not None and drawn.graphics[0].label == "42.1 mm"


def test_a_gsps_is_read_from_the_disc_itself(small_disc: Path, tmp_path: Path) -> None:
    disc, uid, image_uid = disc_with_gsps(small_disc, tmp_path)
    (disc / "PSTATE" / "BROKEN").write_bytes(b"\0" * 128 + b"DICM" + b"\x02\x00" * 7)
    reader = MediumReader(disc)
    opened = reader.open()
    try:
        found = [reader.identify(path) for path in opened.unlisted]
        (ref,) = [f for f in found if getattr(f, "sop_instance_uid", "") == uid]
        assert ref.sop_class_uid == GSPS_CLASS and ref.modality == "PR"  # type: ignore[union-attr]
        state = reader.presentation_state(ref.path)  # type: ignore[union-attr]
        assert state.for_image(image_uid) is not None
        with pytest.raises(PresentationStateError):
            reader.presentation_state("PSTATE/BROKEN")
    finally:
        reader.close()


def test_a_gsps_listed_in_the_dicomdir_is_placed_at_once(small_disc: Path,
                                                         tmp_path: Path) -> None:
    # A disc burnt with its presentation state: a PRESENTATION record under its series.
    disc, uid, image_uid = disc_with_gsps(small_disc, tmp_path)
    written = disc / "PSTATE" / "PS000001"
    file_set = FileSet(dcmread(disc / "DICOMDIR"))
    file_set.add(dcmread(written))
    file_set.write()
    written.unlink()
    reader = MediumReader(disc)
    opened = reader.open()
    try:
        (ref,) = [r for r in opened.listed if r.sop_instance_uid == uid]
        assert ref.modality == "PR" and ref.sop_class_uid == GSPS_CLASS
        patients = tree_of(list(opened.listed))
        assert [r.sop_instance_uid for r in presentation_states(
            patients, ref.study_instance_uid)] == [uid]
        assert all(not is_presentation_state(s) for s in all_series(patients))
        assert reader.presentation_state(ref.path).for_image(image_uid) is not None
    finally:
        reader.close()


def test_annotations_of_an_open_disc_are_saved_as_a_gsps(small_disc: Path,
                                                         tmp_path: Path) -> None:
    reader = MediumReader(small_disc)
    opened = reader.open()
    try:
        instances = list(opened.listed)
        image = max(tree_of(instances)[0].studies[0].series,
                    key=lambda s: len(s.instances)).instances[3]
        ref = ImageRef(image.sop_class_uid, image.sop_instance_uid)
        out = save_presentation_state(
            reader, instances, [ImageAnnotations(ref, (LINE,), window=Window(30.0, 300.0))],
            tmp_path / "out" / "notes.dcm", label="My notes", creator="Doe^Jane")
        with pytest.raises(PresentationStateError, match="no annotations"):
            save_presentation_state(reader, instances, [], tmp_path / "none.dcm")
        with pytest.raises(PresentationStateError, match="no longer open"):
            save_presentation_state(
                reader, instances, [ImageAnnotations(ImageRef(image.sop_class_uid, "1.2.3"),
                                                     (LINE,))], tmp_path / "gone.dcm")
    finally:
        reader.close()
    ds = dcmread(out)
    assert ds.StudyInstanceUID == image.study_instance_uid
    assert ds.SOPInstanceUID.startswith("2.25.")
    series_numbers = [r.series_number or 0 for r in instances]
    assert ds.SeriesNumber == max(series_numbers) + 1
    state = read_gsps(ds)
    drawn = state.for_image(image.sop_instance_uid)
    assert drawn is not None and drawn.graphics[0].label == "42.1 mm"
    assert drawn.window == Window(30.0, 300.0)
    assert state.label == "MY_NOTES" and state.creator == "Doe^Jane"
