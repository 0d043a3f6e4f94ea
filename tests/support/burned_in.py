"""Images that may carry burned-in text, for the de-identified copy's review: an
ultrasound (or secondary capture) picture of a sample disc's patient and study, with a
bright "text" banner drawn at a known place, imported into a library beside the CT."""

from pathlib import Path

import numpy as np
from pydicom import dcmread
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from app.library.library import Library
from app.services.importing import ImportReport, import_media

US_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.6.1"
SECONDARY_CAPTURE_STORAGE = "1.2.840.10008.5.1.4.1.1.7"
ROWS, COLUMNS = 120, 160
# Where the banner (the "burned-in text") is: x, y, width, height in image pixels.
BANNER = (8, 4, 96, 14)
BANNER_VALUE = 255
BACKGROUND_LOW = 40


def burned_in_pixels(rows: int = ROWS, columns: int = COLUMNS) -> np.ndarray:
    """A grey gradient (never black) with the white banner: uint8 (rows, columns)."""
    gradient = np.linspace(BACKGROUND_LOW, 180, columns, dtype=np.float64)
    pixels = np.tile(gradient, (rows, 1)).astype(np.uint8)
    x, y, width, height = BANNER
    pixels[y:y + height, x:x + width] = BANNER_VALUE
    return pixels


def write_burned_in_image(disc: Path, out: Path, modality: str = "US",
                          number: int = 1) -> Path:
    """A picture of ``modality`` (US or SC) in the study of the sample ``disc``, as a
    PS3.10 file at ``out`` (its own series)."""
    like = dcmread(next(p for p in sorted(disc.rglob("*"))
                        if p.is_file() and p.name != "DICOMDIR"), stop_before_pixels=True)
    ds = Dataset()
    for keyword in ("PatientName", "PatientID", "PatientBirthDate", "PatientSex",
                    "StudyInstanceUID", "StudyDate", "StudyTime", "StudyID",
                    "AccessionNumber", "ReferringPhysicianName", "StudyDescription",
                    "InstitutionName"):
        if keyword in like:
            setattr(ds, keyword, like.get(keyword))
    sop_class = US_IMAGE_STORAGE if modality == "US" else SECONDARY_CAPTURE_STORAGE
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid(entropy_srcs=[str(like.StudyInstanceUID), modality])
    ds.Modality = modality
    ds.SeriesNumber = 90 if modality == "US" else 91
    ds.InstanceNumber = number
    ds.SeriesDescription = f"{modality} pictures"
    if modality == "SC":
        ds.ConversionType = "WSD"
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows, ds.Columns = ROWS, COLUMNS
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.PixelData = burned_in_pixels().tobytes()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = sop_class
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    out.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(out, enforce_file_format=True)
    return out


def import_burned_in(library: Library, disc: Path, folder: Path, modality: str = "US",
                     count: int = 1) -> list[str]:
    """Import ``count`` such pictures into ``library`` (the same study as ``disc``); their
    SOP Instance UIDs."""
    paths = [write_burned_in_image(disc, folder / f"IM{n:04d}", modality, n)
             for n in range(1, count + 1)]
    report = None
    for item in import_media(folder, library):
        if isinstance(item, ImportReport):
            report = item
    assert report is not None and not report.failed, report
    return [str(dcmread(p, stop_before_pixels=True).SOPInstanceUID) for p in paths]
