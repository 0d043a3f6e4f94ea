"""A synthetic but valid DICOM disc: one made-up patient, one CT study.

Used by ``lightbox sample-disc``, the demo, the tests and the benchmarks. The study has three
series, all CT Image Storage in one frame of reference:

1. a single coronal localizer (scout) image, a projection through the phantom;
2. the main axial series: ``slices`` (N) thin slices, soft-tissue window;
3. a thick axial reconstruction: ceil(N / 4) slices, lung window.

So a disc holds ``1 + N + ceil(N / 4)`` images plus the DICOMDIR. Both axial series always span
the same 400 mm of the phantom (top of the chest to the pelvis), so N sets the slice spacing
(400 / N mm), not the anatomy: scrolling any disc goes through lungs, heart, liver, kidneys,
bowel and pelvis. The phantom is drawn in Hounsfield units with realistic tissue values, so
the lung, abdomen and bone window presets each show different structures.

The DICOMDIR is written by pydicom's FileSet (see ``_FreshFileSet`` for how it is kept fast).
"""

from __future__ import annotations

import math
import shutil
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.fileset import DIRECTORY_RECORDERS, FileInstance, FileSet, RecordNode
from pydicom.pixels.encoders.base import get_encoder
from pydicom.uid import (
    UID,
    CTImageStorage,
    DeflatedExplicitVRLittleEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGLosslessSV1,
    JPEGLSLossless,
    RLELossless,
    generate_uid,
)

from app.samples.phantom import (
    FIELD_OF_VIEW,
    RESCALE_INTERCEPT,
    SCAN_LENGTH,
    SCOUT_LENGTH,
    SCOUT_TOP,
    Painter,
)

__all__ = ["SUPPORTED_TRANSFER_SYNTAXES", "SampleDiscSummary", "SamplePatient",
           "write_sample_disc"]

# Every syntax the command knows by a short name. Only those that can be written with the
# installed packages end up in SUPPORTED_TRANSFER_SYNTAXES.
_KNOWN_TRANSFER_SYNTAXES: dict[str, UID] = {
    "explicit": ExplicitVRLittleEndian,
    "implicit": ImplicitVRLittleEndian,
    "deflate": DeflatedExplicitVRLittleEndian,
    "rle": RLELossless,
    "jpeg-lossless": JPEGLosslessSV1,
    "jpeg-ls": JPEGLSLossless,
    "jpeg2000": JPEG2000Lossless,
}


def _can_encode(uid: UID) -> bool:
    """Return True if pydicom can write pixel data in `uid` with what is installed."""
    if not uid.is_compressed:
        return True  # native and deflated syntaxes need no pixel encoder
    try:
        return bool(get_encoder(uid).is_available)
    except NotImplementedError:  # pydicom has no encoder at all for this syntax
        return False


SUPPORTED_TRANSFER_SYNTAXES: dict[str, UID] = {
    name: uid for name, uid in _KNOWN_TRANSFER_SYNTAXES.items() if _can_encode(uid)
}
"""Short name -> Transfer Syntax UID, for each syntax this installation can write."""

MIN_MATRIX = 8
MAX_MATRIX = 4096
MAX_SLICES = 100_000

PATIENT_NAME = "SAMPLE^PATIENT"
PATIENT_ID = "LIGHTBOX-SAMPLE"
BIRTH_DATE = "19700101"
MANUFACTURER = "Lightbox sample"

# The axial series span SCAN_LENGTH mm of the phantom (see app.samples.phantom).
THICK_FACTOR = 4  # thin slices per slice of the thick reconstruction


Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class SampleDiscSummary:
    """What `write_sample_disc` wrote."""

    out: Path
    instances: int
    study_instance_uid: str
    series_count: int
    transfer_syntax_uid: str
    patient_name: str


@dataclass(frozen=True)
class _Series:
    number: int
    description: str
    image_type: tuple[str, ...]
    uid: str
    window: tuple[float, float, str]  # centre, width, explanation
    kernel: str
    low_noise: bool  # thick slices average more X-rays, so they are less noisy
    thickness: float  # mm; 0 for the localizer
    positions: tuple[float, ...]  # z of each slice, mm; empty for the localizer


@dataclass(frozen=True)
class SamplePatient:
    """Who a sample disc is of (the defaults: the made-up sample patient). ``name`` is a
    DICOM Person Name (FAMILY^GIVEN, groups with =), ``birth_date`` YYYYMMDD or "",
    ``sex`` M, F, O or "", ``issuer`` the Issuer of Patient ID or "" (not written)."""

    name: str = PATIENT_NAME
    patient_id: str = PATIENT_ID
    birth_date: str = BIRTH_DATE
    sex: str = "O"
    issuer: str = ""


@dataclass(frozen=True)
class _Study:
    study_uid: str
    frame_of_reference_uid: str
    date: str
    time: str
    series: tuple[_Series, ...]
    patient: SamplePatient = SamplePatient()


def write_sample_disc(
    out: Path,
    slices: int = 120,
    transfer_syntax: str = "explicit",
    *,
    rows: int = 512,
    columns: int = 512,
    progress: Progress | None = None,
    seed: int | None = None,
    patient: SamplePatient | None = None,
    study_date: date | None = None,
) -> SampleDiscSummary:
    """Write a synthetic CT study as standard DICOM media (files plus DICOMDIR) into `out`.

    `slices` is the number of images in the main axial series; the disc holds
    ``1 + slices + ceil(slices / 4)`` images in three series (localizer, thin axial, thick
    axial). `transfer_syntax` is a short name from SUPPORTED_TRANSFER_SYNTAXES or a Transfer
    Syntax UID. `rows` and `columns` set the image matrix (small ones make quick test discs).
    `progress(done, total)` is called after each image file is complete. With `seed`, UIDs,
    dates and noise are the same on every run; without it each run is a new study.
    `patient` names who the disc is of (SamplePatient; the made-up sample patient by
    default) and `study_date` the day of the study (at 09:30), so that two discs of one
    patient taken on different days can be written; each seed or run is another study.

    `out` is created if missing and must be empty otherwise. If writing fails, everything
    written into `out` is removed again. Raises ValueError for bad arguments.
    """
    out = Path(out)
    transfer_syntax_uid = _resolve_transfer_syntax(transfer_syntax)
    _check_range("slices", slices, 1, MAX_SLICES)
    _check_range("rows", rows, MIN_MATRIX, MAX_MATRIX)
    _check_range("columns", columns, MIN_MATRIX, MAX_MATRIX)
    patient = _check_patient(patient or SamplePatient())
    created = _prepare_folder(out)

    study = _plan_study(slices, seed, patient, study_date)
    try:
        count = _write_disc(out, study, transfer_syntax_uid, rows, columns, progress, seed)
    except BaseException:
        # Also on KeyboardInterrupt: never leave a half-written disc behind.
        _remove_written(out, created)
        raise

    return SampleDiscSummary(
        out=out,
        instances=count,
        study_instance_uid=study.study_uid,
        series_count=len(study.series),
        transfer_syntax_uid=str(transfer_syntax_uid),
        patient_name=patient.name,
    )


# --- arguments and output folder ---------------------------------------------------------


def _resolve_transfer_syntax(name_or_uid: str) -> UID:
    key = name_or_uid.strip()
    uid = _KNOWN_TRANSFER_SYNTAXES.get(key.lower())
    if uid is None:
        uid = next((u for u in _KNOWN_TRANSFER_SYNTAXES.values() if u == key), None)
    supported = ", ".join(SUPPORTED_TRANSFER_SYNTAXES)
    if uid is None:
        raise ValueError(f"Unknown transfer syntax {name_or_uid!r}; use one of: {supported}.")
    if uid not in SUPPORTED_TRANSFER_SYNTAXES.values():
        name = next(n for n, u in _KNOWN_TRANSFER_SYNTAXES.items() if u == uid)
        raise ValueError(
            f"Cannot write {name!r} ({uid.name}): no encoder for it is installed; "
            f"use one of: {supported}."
        )
    return uid


def _check_range(name: str, value: int, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name} must be a whole number from {low} to {high}, not {value!r}.")


def _check_patient(patient: SamplePatient) -> SamplePatient:
    if not patient.name.strip() and not patient.patient_id.strip():
        raise ValueError("A sample patient needs a name or a patient ID.")
    text = patient.name + patient.patient_id + patient.issuer
    if "\\" in text or any(ord(c) < 32 for c in text):
        raise ValueError("A patient name, ID or issuer cannot hold a backslash or control "
                         "characters.")
    if len(patient.patient_id) > 64 or len(patient.issuer) > 64:
        raise ValueError("A patient ID or issuer has at most 64 characters.")
    if any(len(group) > 64 for group in patient.name.split("=")) or patient.name.count("=") > 2:
        raise ValueError("A patient name has at most three =-separated groups of 64 "
                         "characters, such as DOE^JANE.")
    if patient.birth_date:
        try:
            datetime.strptime(patient.birth_date, "%Y%m%d")
        except ValueError:
            raise ValueError(f"The birth date must be YYYYMMDD, such as 19700101, not "
                             f"{patient.birth_date!r}.") from None
    if patient.sex not in ("M", "F", "O", ""):
        raise ValueError(f"The sex must be M, F or O, not {patient.sex!r}.")
    return patient


def _prepare_folder(out: Path) -> bool:
    """Create `out` or check that it is an empty folder; return True if it was created."""
    if out.exists():
        if not out.is_dir():
            raise ValueError(f"{out} exists and is not a folder; choose a new or empty folder.")
        if any(out.iterdir()):
            raise ValueError(f"{out} is not empty; choose a new or empty folder.")
        return False
    out.mkdir(parents=True)
    return True


def _remove_written(out: Path, created: bool) -> None:
    if created:
        shutil.rmtree(out, ignore_errors=True)
        return
    for child in out.iterdir():  # the folder was empty when we started
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)


# --- the study plan ------------------------------------------------------------------------


def _plan_study(slices: int, seed: int | None, patient: SamplePatient = SamplePatient(),
                study_date: date | None = None) -> _Study:
    uid = _uid_maker(seed)
    # A fixed date keeps seeded discs byte-for-byte reproducible.
    when = datetime(2024, 1, 2, 9, 30, 0) if seed is not None else datetime.now()
    if study_date is not None:
        when = datetime(study_date.year, study_date.month, study_date.day, 9, 30, 0)

    thin = SCAN_LENGTH / slices
    thick_count = math.ceil(slices / THICK_FACTOR)
    thick = SCAN_LENGTH / thick_count
    series = (
        _Series(
            number=1,
            description="SCOUT",
            image_type=("ORIGINAL", "PRIMARY", "LOCALIZER"),
            uid=uid("series-1"),
            window=(0.0, 0.0, ""),  # computed from the image
            kernel="STANDARD",
            low_noise=True,
            thickness=0.0,
            positions=(),
        ),
        _Series(
            number=2,
            description=f"AXIAL {thin:.3g}MM SOFT TISSUE",
            image_type=("ORIGINAL", "PRIMARY", "AXIAL"),
            uid=uid("series-2"),
            window=(40.0, 400.0, "ABDOMEN"),
            kernel="STANDARD",
            low_noise=False,
            thickness=thin,
            positions=tuple(-(i + 0.5) * thin for i in range(slices)),
        ),
        _Series(
            number=3,
            description=f"AXIAL {thick:.3g}MM LUNG",
            image_type=("DERIVED", "SECONDARY", "AXIAL"),
            uid=uid("series-3"),
            window=(-600.0, 1500.0, "LUNG"),
            kernel="LUNG",
            low_noise=True,
            thickness=thick,
            positions=tuple(-(i + 0.5) * thick for i in range(thick_count)),
        ),
    )
    return _Study(
        study_uid=uid("study"),
        frame_of_reference_uid=uid("frame-of-reference"),
        date=when.strftime("%Y%m%d"),
        time=when.strftime("%H%M%S"),
        series=series,
        patient=patient,
    )


def _uid_maker(seed: int | None) -> Callable[[str], UID]:
    """Return a function that makes a UID for a name: fresh ones, or derived from `seed`."""
    if seed is None:
        return lambda _name: generate_uid()
    return lambda name: generate_uid(entropy_srcs=["lightbox-sample", str(seed), name])


# --- writing ---------------------------------------------------------------------------------


def _write_disc(
    out: Path,
    study: _Study,
    transfer_syntax_uid: UID,
    rows: int,
    columns: int,
    progress: Progress | None,
    seed: int | None,
) -> int:
    """Write the DICOMDIR and the image files; return the number of images.

    FileSet stages a copy of every dataset it is given and copies it again into place on
    write(). Rather than have it write every image twice, it gets only what the directory
    records need: it chooses the PS3.10 File IDs and writes the DICOMDIR plus small
    placeholder files, which are then overwritten by the complete images. Those carry the
    same UIDs, SOP class and transfer syntax, so the DICOMDIR describes them exactly.
    """
    uid = _uid_maker(seed)
    images: list[tuple[_Series, int, Dataset]] = []
    for series in study.series:
        for index in range(max(1, len(series.positions))):
            sop_uid = uid(f"image-{series.number}-{index}")
            images.append((series, index, _identity(study, series, index, sop_uid)))
    total = len(images)
    if progress is not None:
        progress(0, total)

    file_set = _FreshFileSet()
    file_set.ID = "LIGHTBOX_SAMPLE"
    file_set.UID = uid("file-set")
    for _series, _index, ds in images:
        ds.file_meta.TransferSyntaxUID = transfer_syntax_uid
        file_set.add_fresh(ds)
    file_set.write(out)
    paths = {str(instance.SOPInstanceUID): instance.path for instance in file_set}

    painter = Painter(rows, columns, seed)
    for done, (series, index, ds) in enumerate(images, start=1):
        _describe_image(ds, study, series, index, rows, columns)
        if series.positions:
            pixels = painter.axial(series.positions[index], index, series.low_noise)
            window = series.window
        else:
            pixels, window = painter.scout()
        _set_pixels(ds, pixels, window, transfer_syntax_uid)
        ds.save_as(paths[ds.SOPInstanceUID], enforce_file_format=True)
        if progress is not None:
            progress(done, total)
    return total


def _identity(study: _Study, series: _Series, index: int, sop_uid: UID) -> Dataset:
    """Return the attributes that identify one image: all its directory records need."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = CTImageStorage
    ds.file_meta.MediaStorageSOPInstanceUID = sop_uid
    ds.SpecificCharacterSet = _character_set(study.patient)
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = sop_uid
    ds.PatientName = study.patient.name
    ds.PatientID = study.patient.patient_id
    ds.StudyInstanceUID = study.study_uid
    ds.StudyDate = study.date
    ds.StudyTime = study.time
    ds.StudyID = "1"
    ds.AccessionNumber = "LBSAMPLE1"
    ds.StudyDescription = "CT CHEST ABDOMEN PELVIS (SYNTHETIC SAMPLE)"
    ds.Modality = "CT"
    ds.SeriesInstanceUID = series.uid
    ds.SeriesNumber = series.number
    ds.InstanceNumber = index + 1
    return ds


def _character_set(patient: SamplePatient) -> str:
    """Latin-1 when it can write the patient's name, ID and issuer, else UTF-8."""
    try:
        (patient.name + patient.patient_id + patient.issuer).encode("latin-1")
    except UnicodeEncodeError:
        return "ISO_IR 192"
    return "ISO_IR 100"


def _describe_image(
    ds: Dataset, study: _Study, series: _Series, index: int, rows: int, columns: int
) -> None:
    """Add the rest of the CT Image IOD, all but the pixel data and the window."""
    ds.ImageType = list(series.image_type)
    for prefix in ("Series", "Acquisition", "Content", "InstanceCreation"):
        setattr(ds, f"{prefix}Date", study.date)
        setattr(ds, f"{prefix}Time", study.time)

    ds.PatientBirthDate = study.patient.birth_date
    ds.PatientSex = study.patient.sex
    if study.patient.issuer:
        ds.IssuerOfPatientID = study.patient.issuer
    ds.ReferringPhysicianName = "SAMPLE^REFERRER"
    ds.InstitutionName = "Lightbox sample disc"
    ds.Manufacturer = MANUFACTURER
    ds.ManufacturerModelName = "Synthetic phantom"

    ds.BodyPartExamined = "CHESTABDPELVIS"  # not a paired organ, so no Laterality
    ds.SeriesDescription = series.description
    ds.PatientPosition = "HFS"
    ds.FrameOfReferenceUID = study.frame_of_reference_uid
    ds.PositionReferenceIndicator = ""

    ds.KVP = "120"
    ds.AcquisitionNumber = 1
    ds.ConvolutionKernel = series.kernel
    if series.positions:  # the axial series were scanned with contrast; the scout was not
        ds.ContrastBolusAgent = "IV CONTRAST (SYNTHETIC)"
    _set_geometry(ds, series, index, rows, columns)

    # Unsigned 12 bits in 16: HU = stored - 1024.
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = rows
    ds.Columns = columns
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.PixelRepresentation = 0
    ds.RescaleIntercept = str(RESCALE_INTERCEPT)
    ds.RescaleSlope = "1"
    if series.positions:  # dciodvfy: a localizer's values are not HU
        ds.RescaleType = "HU"
    ds.LossyImageCompression = "00"


def _set_geometry(ds: Dataset, series: _Series, index: int, rows: int, columns: int) -> None:
    """Set the Image Plane module: where each pixel is in patient space."""
    col_spacing = FIELD_OF_VIEW / columns
    x0 = -FIELD_OF_VIEW / 2 + col_spacing / 2  # centre of the first column
    if not series.positions:
        # Coronal projection: rows run to the patient's left, columns towards the feet.
        row_spacing = SCOUT_LENGTH / rows
        ds.ImageOrientationPatient = ["1", "0", "0", "0", "0", "-1"]
        ds.ImagePositionPatient = _ds_list([x0, 0.0, SCOUT_TOP - row_spacing / 2])
        ds.PixelSpacing = _ds_list([row_spacing, col_spacing])
        ds.SliceThickness = ""
        return

    z = series.positions[index]
    y0 = -(rows * col_spacing) / 2 + col_spacing / 2
    ds.ImageOrientationPatient = ["1", "0", "0", "0", "1", "0"]
    ds.ImagePositionPatient = _ds_list([x0, y0, z])
    ds.PixelSpacing = _ds_list([col_spacing, col_spacing])
    ds.SliceThickness = _format_ds(series.thickness)
    ds.SpacingBetweenSlices = _format_ds(series.thickness)
    ds.SliceLocation = _format_ds(z)
    ds.ReconstructionDiameter = _format_ds(FIELD_OF_VIEW)
    ds.DataCollectionDiameter = "500"


def _set_pixels(
    ds: Dataset, stored: npt.NDArray[np.uint16], window: tuple[float, float, str], uid: UID
) -> None:
    centre, width, explanation = window
    ds.WindowCenter = _format_ds(centre)
    ds.WindowWidth = _format_ds(width)
    ds.WindowCenterWidthExplanation = explanation
    ds.SmallestImagePixelValue = int(stored.min())
    ds.LargestImagePixelValue = int(stored.max())
    ds.PixelData = stored.tobytes()
    if uid.is_compressed:
        # compress() only starts from native pixel data, and sets the syntax back to `uid`.
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        # Keep our SOP Instance UID: the DICOMDIR already refers to it.
        ds.compress(uid, generate_instance_uid=False)


def _format_ds(value: float) -> str:
    """Format a Decimal String: at most 6 decimals, no trailing zeros, never '-0'."""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _ds_list(values: Sequence[float]) -> list[str]:
    return [_format_ds(v) for v in values]


class _SeriesNode(RecordNode):
    """A SERIES directory record that finds its children by key in amortised constant time.

    pydicom's ``RecordNode.__contains__`` rebuilds the list of every child's key on each call,
    and ``FileSet.add`` asks it once per image added to the series. While the disc is being
    built children are only ever appended, so the keys of new children are added to a set.
    """

    def __init__(self, record: Dataset) -> None:
        super().__init__(record)
        self._child_keys: set[str] = set()
        self._indexed_list: list[RecordNode] = self.children
        self._indexed = 0  # how many of the children have their key in the set

    def __contains__(self, key: object) -> bool:
        if isinstance(key, RecordNode):
            key = key.key
        if self.children is not self._indexed_list or len(self.children) < self._indexed:
            # pydicom replaced or shortened the list (it does so on removal): start again.
            self._child_keys, self._indexed_list, self._indexed = set(), self.children, 0
        for child in self.children[self._indexed :]:
            self._child_keys.add(child.key)
        self._indexed = len(self.children)
        return key in self._child_keys


class _FreshFileSet(FileSet):
    """pydicom's FileSet, for instances that are known to be new, added in linear time.

    In pydicom 3.0, ``FileSet.add`` costs O(n) per call, so building a disc is O(n^2):
    600 images take about 3 s, 10,000 images many minutes. Two scans cause it:

    1. it looks for an earlier copy of the instance by iterating over every instance in
       the set, and each ``FileInstance`` attribute read walks the record tree (~10 us);
    2. inserting the IMAGE record asks the SERIES node whether it already has the record,
       which computes the key of every image in the series.

    The sample disc's SOP Instance UIDs are newly generated, so there is nothing to find:
    ``add_fresh`` hides the instances from scan 1 and gives each series a ``_SeriesNode``
    for scan 2. The records are made by pydicom's own DIRECTORY_RECORDERS, and writing
    (File IDs, offsets, the DICOMDIR encoding) is FileSet's unchanged. A test checks that
    the result is byte-identical to what plain ``FileSet.add`` writes.
    """

    def __init__(self) -> None:
        super().__init__()
        self._hide_instances = False

    def __iter__(self) -> Iterator[FileInstance]:
        if self._hide_instances:
            return iter(())
        return super().__iter__()

    def add_fresh(self, ds: Dataset) -> None:
        """Stage `ds`, whose SOP Instance UID must not be in the set yet."""
        parent: RecordNode | None = None
        for record_type in ("PATIENT", "STUDY", "SERIES", "IMAGE"):
            record = DIRECTORY_RECORDERS[record_type](ds)
            record.DirectoryRecordType = record_type
            if "SpecificCharacterSet" in ds:
                record.SpecificCharacterSet = ds.SpecificCharacterSet
            if record_type == "IMAGE":
                record.ReferencedSOPInstanceUIDInFile = ds.SOPInstanceUID
            node_type = _SeriesNode if record_type == "SERIES" else RecordNode
            node = node_type(record)
            if parent is not None:
                node.parent = parent
            parent = node
        assert parent is not None

        self._hide_instances = True
        try:
            self.add_custom(ds, parent)
        finally:
            self._hide_instances = False
