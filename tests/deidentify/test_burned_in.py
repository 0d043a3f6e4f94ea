"""Which images may show burned-in text, and what the transform does with them."""

import pytest
from pydicom.dataset import Dataset
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, UltrasoundImageStorage

from app.deidentify.burned_in import burned_in_reason
from app.deidentify.deidentifier import Deidentifier, DeidentifyOptions
from tests.deidentify.helpers import SECRET

SECONDARY_CAPTURE = "1.2.840.10008.5.1.4.1.1.7"
MULTIFRAME_TRUE_COLOR_SC = "1.2.840.10008.5.1.4.1.1.7.4"


def _image(modality: str, sop_class: str = CTImageStorage, pixels: bool = True,
           **extra: str) -> Dataset:
    ds = Dataset()
    ds.SOPClassUID, ds.SOPInstanceUID = sop_class, "1.2.826.0.1.3680043.10.11.1"
    ds.Modality, ds.SeriesNumber, ds.InstanceNumber = modality, 2, 7
    ds.PatientName, ds.PatientID = "Doe^Jane", "P-1"
    for keyword, value in extra.items():
        setattr(ds, keyword, value)
    if pixels:
        ds.Rows = ds.Columns = 2
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.BitsAllocated = ds.BitsStored = 8
        ds.HighBit, ds.PixelRepresentation = 7, 0
        ds.PixelData = b"\1\2\3\4"
    ds.file_meta = Dataset()  # type: ignore[assignment]
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    return ds


@pytest.mark.parametrize(("ds", "flagged"), [
    (_image("CT"), False),
    (_image("CT", BurnedInAnnotation="YES"), True),
    (_image("MR", BurnedInAnnotation="NO"), False),
    (_image("US", UltrasoundImageStorage), True),
    (_image("US", UltrasoundImageStorage, BurnedInAnnotation="NO"), True),
    (_image("SC"), True), (_image("OT"), True), (_image("XC"), True),
    (_image("CT", SECONDARY_CAPTURE), True),  # a dose screen saved as CT
    (_image("MR", MULTIFRAME_TRUE_COLOR_SC), True),
    (_image("CT", ImageType="DERIVED\\SECONDARY\\SCREEN SAVE"), True),
    (_image("US", UltrasoundImageStorage, pixels=False), False),  # no pixels, no text
    (_image("", BurnedInAnnotation="YES"), True),
])
def test_burned_in_detection(ds: Dataset, flagged: bool) -> None:
    assert (burned_in_reason(ds) is not None) is flagged


def test_a_trusted_no_is_mentioned_in_the_reason() -> None:
    reason = burned_in_reason(_image("US", BurnedInAnnotation="NO"))
    assert reason is not None and "marked NO" in reason


def test_flagged_images_are_left_out_unless_included() -> None:
    transform = Deidentifier(SECRET)
    assert transform(_image("US")) is None
    assert transform(_image("CT")) is not None
    (note,) = transform.notes
    assert note.kind == "excluded" and note.sop_instance_uid == "1.2.826.0.1.3680043.10.11.1"
    assert note.new_sop_instance_uid == transform.new_uid(note.sop_instance_uid)
    assert "US image 7 of series 2" in note.message and "Doe" not in note.message
    included = Deidentifier(SECRET, DeidentifyOptions(include_burned_in=True))
    out = included(_image("US"))
    assert out is not None and out.PixelData == b"\1\2\3\4"
    assert [n.kind for n in included.notes] == ["included"]
