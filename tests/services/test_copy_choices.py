"""The review's choices image by image (DeidentifyOptions.exclude_images, include_images):
one picture left out although a rule would black it out, one included exactly as it is,
the others blacked out by the rule; one pseudonym and one study UID for the whole copy;
the pictures of the review drawn as the copy carries them."""

from pathlib import Path

import numpy as np
from pydicom import dcmread

from app.library.library import Library
from app.services.copy_review import (
    BLACK_OUT,
    EXCLUDE,
    INCLUDE,
    Rectangle,
    copy_options,
    instance_picture,
    review_images,
    save_rule,
)
from app.services.exporting import ExportReport
from app.services.library_service import LibraryService
from tests.support.burned_in import BANNER, BANNER_VALUE, import_burned_in
from tests.support.studies import import_study, write_disc


def test_each_picture_gets_what_was_chosen_for_it(tmp_path: Path) -> None:
    home = tmp_path / "home"
    disc = write_disc(tmp_path / "disc", 4)
    with Library(home) as library:
        study = import_study(library, disc)
        left_out, included, blacked = import_burned_in(library, disc, tmp_path / "us", "US",
                                                       count=3)
    service = LibraryService(home)
    images = review_images(service, [study])
    assert [i.sop_instance_uid for i in images] == [left_out, included, blacked]
    assert images[0].label == "Ultrasound, image 1 of series 90"
    x, y, width, height = BANNER
    band = Rectangle(x, y, width, height)
    save_rule(service, images[0], [band])
    # The review draws them as the copy would carry them.
    picture = instance_picture(service, images[2], 64, [band])
    assert (picture.rows, picture.columns) == (120, 160) and max(picture.pixels.shape) <= 64

    options = copy_options(" Second opinion ", "", {left_out: EXCLUDE, included: INCLUDE,
                                                     blacked: BLACK_OUT})
    assert options.exclude_images == {left_out} and options.include_images == {included}
    assert options.patient_name == "Second opinion" and options.patient_id is None
    report = None
    for item in service.export([study], tmp_path / "copy", "folder", deidentify=options):
        if isinstance(item, ExportReport):
            report = item
    assert report is not None and report.deidentified
    assert [w.message for w in report.warnings] == [
        "Left out: Ultrasound, image 1 of series 90 (as you chose)."]
    copies = [dcmread(p) for p in (tmp_path / "copy" / "DICOM").rglob("*") if p.is_file()]
    assert len({str(ds.PatientID) for ds in copies}) == 1
    assert {str(ds.PatientName) for ds in copies} == {"Second opinion"}
    assert len({ds.StudyInstanceUID for ds in copies}) == 1
    ultrasound = {int(ds.InstanceNumber): ds.pixel_array for ds in copies if ds.Modality == "US"}
    assert sorted(ultrasound) == [2, 3]
    assert (ultrasound[2][y:y + height, x:x + width] == BANNER_VALUE).all()  # as it is
    assert (ultrasound[3][y:y + height, x:x + width] == 0).all()  # blacked out
    assert np.count_nonzero(ultrasound[3] == 0) == width * height
    assert any("included as asked" in note for note in report.notes)
    assert any("blacked out" in note for note in report.notes)
