"""The Measurements list's images inside an ISO or ZIP file: answered from what the
viewer has read, the rest asked for once and measured when it comes."""

from pathlib import Path

import pytest
from pydicom.dataset import Dataset

from app.core.errors import LibraryError, LightboxError
from app.core.models import InstanceRef
from app.imaging.render import GreyFrame, PreparedFrame
from app.services.annotation_values import ImageNotReadYet, file_images, measurement_row
from app.services.annotations import AnnotationDocument
from app.services.measurement_list import READING, READING_WHERE, MeasurementList
from app.services.viewer_images import ViewerImages, read_measured_image
from app.services.viewing import MediumReader
from tests.library.helpers import make_zip, write_small_disc
from tests.services.test_annotation_session import _frame, _header, _ref
from tests.services.test_annotation_session_polish import _annotation

ONE, TWO = _ref(0), _ref(1)


def _find(uid: str) -> InstanceRef | None:
    return {ONE.sop_instance_uid: ONE, TWO.sop_instance_uid: TWO}.get(uid)


def _images(headers: dict[str, Dataset], frames: dict[str, PreparedFrame]
            ) -> tuple[ViewerImages, list[tuple[InstanceRef, int]]]:
    images = ViewerImages(_find, headers.get, lambda ref, _frame: frames.get(ref.path))
    wanted: list[tuple[InstanceRef, int]] = []
    images.wanted.connect(wanted.append)
    return images, wanted


def test_an_image_the_viewer_has_is_answered_at_once() -> None:
    header = _header()
    frame = _frame(header)
    images, wanted = _images({ONE.sop_instance_uid: header}, {ONE.path: frame})
    assert images(ONE.sop_instance_uid, 0) == (header, frame)
    assert wanted == []


def test_an_image_not_read_is_asked_for_once_then_answered_or_said_unreadable() -> None:
    header = _header()
    images, wanted = _images({TWO.sop_instance_uid: Dataset()}, {})  # an empty header
    arrived: list[tuple[str, int]] = []
    images.arrived.connect(arrived.append)
    for _ in range(2):
        with pytest.raises(ImageNotReadYet):
            images(ONE.sop_instance_uid, 0)
    assert wanted == [(ONE, 0)]
    frame = _frame(header)
    images.supply(ONE.sop_instance_uid, 0, header, frame)
    assert arrived == [(ONE.sop_instance_uid, 0)]
    assert images(ONE.sop_instance_uid, 0) == (header, frame)
    with pytest.raises(ImageNotReadYet):
        images(TWO.sop_instance_uid, 0)  # a header read as empty is read again
    images.fail(TWO.sop_instance_uid, 0, "This image is damaged.")
    with pytest.raises(LightboxError, match=r"This image is damaged\."):
        images(TWO.sop_instance_uid, 0)
    with pytest.raises(LibraryError):
        images("9.9.9", 0)
    assert wanted == [(ONE, 0), (TWO, 0)]


def test_the_list_says_reading_then_shows_the_value_when_the_image_comes() -> None:
    header = _header((0.5, 0.5))
    header.SeriesNumber, header.InstanceNumber = 1, 3
    images, wanted = _images({}, {})
    length = _annotation("length", [(10, 10), (30, 10)])
    document = AnnotationDocument(length.study_uid)
    document.add(length)
    listed = MeasurementList(document, images)
    (row,) = listed.rows
    assert (row.value, row.value_text, listed.where(row)) == (None, READING, READING_WHERE)
    assert wanted == [(ONE, 0)]
    listed.images_arrived()  # nothing new yet: still waiting, not asked again
    assert listed.rows[0].value_text == READING and wanted == [(ONE, 0)]
    images.supply(ONE.sop_instance_uid, 0, header, _frame(header))
    listed.images_arrived()
    (row,) = listed.rows
    assert (row.value, row.unit) == (10.0, "mm")
    assert row == measurement_row(length, header, _frame(header))
    assert listed.where(row) == "Series 1, image 3"


def test_the_medium_reader_reads_the_header_and_values_of_a_file_in_a_zip(
    tmp_path: Path
) -> None:
    disc = write_small_disc(tmp_path / "disc")
    archive = make_zip(disc, tmp_path / "disc.zip")
    reader = MediumReader(archive)
    opened = reader.open()
    ref = next(r for r in opened.listed if r.modality == "CT")
    header, values = read_measured_image(reader, ref.path, 0)
    reader.close()
    on_disk_header, on_disk_values = file_images({ref.sop_instance_uid: disc / ref.path})(
        ref.sop_instance_uid, 0)
    assert header.SOPInstanceUID == ref.sop_instance_uid
    assert header.PixelSpacing == on_disk_header.PixelSpacing
    assert isinstance(values, GreyFrame) and isinstance(on_disk_values, GreyFrame)
    whole = (slice(0, 64), slice(0, 64))
    assert (values.modality_values(*whole) == on_disk_values.modality_values(*whole)).all()
