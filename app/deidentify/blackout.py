"""Blacking out rectangles of pixels, and the reusable rules that say where.

A rule belongs to one modality and one image size (a given ultrasound machine draws its
banner in the same place on every image of the same size): the GUI saves what the user
drew, and every later image of that kind is blacked out the same way. Rules are kept as
JSON in the Lightbox home folder (``blackout-rules.json``): they describe screen layouts,
not patients, so they may be copied between libraries.

Uncompressed pixels are changed in place in their stored form (either byte order, either
planar configuration), so every pixel outside the rectangles keeps its exact bytes.
Compressed pixel data is decoded, blacked out and written uncompressed, Explicit VR Little
Endian (colour as RGB), and the result says so; so is uncompressed subsampled YBR, which is
converted to RGB. "Black" is the value that displays darkest whatever the
window: the lowest stored value for MONOCHROME2 (the highest for MONOCHROME1, or with a
negative rescale slope), zero for RGB, Y=0 with neutral chroma for YBR_FULL, and the
palette entry nearest to black for PALETTE COLOR.
"""

import json
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from pydicom.dataset import Dataset
from pydicom.pixels.processing import apply_color_lut
from pydicom.uid import UID

from app.core.dicom_values import to_int, to_number, to_text
from app.core.errors import DeidentifyError

RULES_FILE_NAME = "blackout-rules.json"
_FORMAT_VERSION = 1
# Transfer syntaxes that are always lossy: a copy decoded from one keeps saying so.
_LOSSY = frozenset({"1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51",
                    "1.2.840.10008.1.2.4.81"})
# Colour spaces black_out changes in their stored form (others are decoded first).
_FILLS = frozenset({"MONOCHROME1", "MONOCHROME2", "RGB", "YBR_FULL", "PALETTE COLOR"})


@dataclass(frozen=True)
class Rectangle:
    """Pixels ``x .. x+width-1`` (columns from the left) by ``y .. y+height-1`` (rows from
    the top), in every frame."""

    x: int
    y: int
    width: int
    height: int

    def __post_init__(self) -> None:
        if min(self.x, self.y) < 0 or min(self.width, self.height) <= 0:
            raise ValueError("a rectangle needs a position >= 0 and a size > 0")


@dataclass(frozen=True)
class BlackoutRule:
    """Where to black out on every image of one modality and size."""

    modality: str
    rows: int
    columns: int
    rectangles: tuple[Rectangle, ...]

    @property
    def key(self) -> tuple[str, int, int]:
        """What the rule applies to: (modality, rows, columns)."""
        return (self.modality.upper(), self.rows, self.columns)

    def matches(self, ds: Dataset) -> bool:
        """True when ``ds`` is an image of this rule's modality and size."""
        return image_key(ds) == self.key


@dataclass(frozen=True)
class BlackoutResult:
    """What black_out did: how many rectangles touched the image, and, when the pixel
    data had to be decoded, a sentence that says so (else None)."""

    rectangles: int
    rewritten: str | None = None


def image_key(ds: Dataset) -> tuple[str, int, int]:
    """(modality, rows, columns) of an image, as rules are keyed."""
    return (to_text(ds.get("Modality", "")).upper(), to_int(ds.get("Rows")) or 0,
            to_int(ds.get("Columns")) or 0)


def rule_for(ds: Dataset, rules: Iterable[BlackoutRule]) -> BlackoutRule | None:
    """The rule that applies to ``ds``, if any."""
    key = image_key(ds)
    return next((rule for rule in rules if rule.key == key), None)


# -- the rule file -------------------------------------------------------------------------
def load_rules(path: Path) -> list[BlackoutRule]:
    """The rules saved in ``path``; none when the file does not exist. DeidentifyError when
    it cannot be read or is not a rule file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise DeidentifyError(
            f"The black-out rules in {path} cannot be read ({exc.strerror or exc}).") from exc
    try:
        data = json.loads(text)
        if data.get("version") != _FORMAT_VERSION:
            raise ValueError("unknown version")
        return [
            BlackoutRule(
                modality=str(item["modality"]).upper(), rows=int(item["rows"]),
                columns=int(item["columns"]),
                rectangles=tuple(Rectangle(*(int(v) for v in r)) for r in item["rectangles"]),
            )
            for item in data["rules"]
        ]
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise DeidentifyError(
            f"The black-out rules in {path} are damaged; move the file away and draw the "
            "rules again.") from exc


def save_rules(path: Path, rules: Iterable[BlackoutRule]) -> None:
    """Write ``rules`` to ``path`` atomically (one rule per modality and size: a later rule
    for the same key replaces an earlier one)."""
    by_key = {rule.key: rule for rule in rules}
    data = {
        "version": _FORMAT_VERSION,
        "rules": [
            {"modality": rule.key[0], "rows": rule.rows, "columns": rule.columns,
             "rectangles": [[r.x, r.y, r.width, r.height] for r in rule.rectangles]}
            for rule in sorted(by_key.values(), key=lambda r: r.key)
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".blackout-", suffix=".json")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=1)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def put_rule(path: Path, rule: BlackoutRule) -> None:
    """Save ``rule`` with the others in ``path``, replacing the one for the same key."""
    save_rules(path, [*load_rules(path), rule])


# -- pixels --------------------------------------------------------------------------------
def black_out(ds: Dataset, rectangles: Sequence[Rectangle]) -> BlackoutResult:
    """Set the pixels under ``rectangles`` (clipped to the image) to black in every frame
    of ``ds``, in place. DeidentifyError when the pixel data cannot be changed."""
    if "PixelData" not in ds:
        raise DeidentifyError("This image has no integer pixel data to black out.")
    rows, columns = to_int(ds.get("Rows")) or 0, to_int(ds.get("Columns")) or 0
    if rows <= 0 or columns <= 0:
        raise DeidentifyError("This image does not say its size, so it cannot be blacked out.")
    rewritten = None
    syntax = _transfer_syntax(ds)
    if syntax.is_encapsulated:
        rewritten = _decompress(ds, syntax)
    elif to_text(ds.get("PhotometricInterpretation", "")).upper() not in _FILLS:
        rewritten = _as_rgb(ds, syntax)  # e.g. uncompressed, subsampled YBR_FULL_422
    bits = to_int(ds.get("BitsAllocated")) or 0
    if bits not in (8, 16, 32):
        raise DeidentifyError(f"Pixels of {bits} bits cannot be blacked out.")
    samples = to_int(ds.get("SamplesPerPixel")) or 1
    frames = max(to_int(ds.get("NumberOfFrames")) or 1, 1)
    planar = samples > 1 and to_int(ds.get("PlanarConfiguration")) == 1
    size = bits // 8
    count = frames * rows * columns * samples
    buffer = bytearray(ds.PixelData)
    if len(buffer) < count * size:
        raise DeidentifyError("This image's pixel data is shorter than its size says.")
    order = "<" if syntax.is_little_endian or syntax.is_encapsulated else ">"
    pixels = np.frombuffer(buffer, dtype=f"{order}u{size}", count=count)
    shape = (frames, samples, rows, columns) if planar else (frames, rows, columns, samples)
    pixels = pixels.reshape(shape)
    fill = _fill_values(ds, bits)
    touched = 0
    for rect in rectangles:
        y0, y1 = min(rect.y, rows), min(rect.y + rect.height, rows)
        x0, x1 = min(rect.x, columns), min(rect.x + rect.width, columns)
        if y0 >= y1 or x0 >= x1:
            continue
        touched += 1
        for sample, value in enumerate(fill):
            if planar:
                pixels[:, sample, y0:y1, x0:x1] = value
            else:
                pixels[:, y0:y1, x0:x1, sample] = value
    ds.PixelData = bytes(buffer)
    return BlackoutResult(rectangles=touched, rewritten=rewritten)


def _transfer_syntax(ds: Dataset) -> UID:
    meta = getattr(ds, "file_meta", None)
    if meta is not None and "TransferSyntaxUID" in meta:
        return UID(meta.TransferSyntaxUID)
    implicit, little = getattr(ds, "original_encoding", (True, True))
    if not little:
        return UID("1.2.840.10008.1.2.2")
    return UID("1.2.840.10008.1.2" if implicit else "1.2.840.10008.1.2.1")


def _decompress(ds: Dataset, syntax: UID) -> str:
    """Decode encapsulated pixel data into Explicit VR Little Endian (colour as RGB)."""
    try:
        # The SOP Instance UID is replaced later by the profile, consistently.
        ds.decompress(generate_instance_uid=False)
    except Exception as exc:
        raise DeidentifyError(
            f"The pixels of this image ({syntax.name}) could not be decoded to black them "
            "out.") from exc
    if str(syntax) in _LOSSY and "LossyImageCompression" not in ds:
        ds.LossyImageCompression = "01"
    return (f"decoded from {syntax.name} and written uncompressed "
            "(Explicit VR Little Endian) to black it out")


def _as_rgb(ds: Dataset, syntax: UID) -> str:
    """Convert uncompressed colour that cannot be changed in place (subsampled YBR) to RGB,
    in the same transfer syntax."""
    photometric = to_text(ds.get("PhotometricInterpretation", ""))
    if not photometric.upper().startswith("YBR"):
        raise DeidentifyError(f"Pixels in {photometric or 'an unknown colour space'} cannot "
                              "be blacked out.")
    try:
        array = ds.pixel_array  # pydicom converts YBR to RGB
    except Exception as exc:
        raise DeidentifyError("The pixels of this image could not be decoded to black them "
                              "out.") from exc
    dtype = array.dtype.newbyteorder("<" if syntax.is_little_endian else ">")
    ds.PixelData = np.ascontiguousarray(array, dtype=dtype).tobytes()
    ds.PhotometricInterpretation = "RGB"
    ds.PlanarConfiguration = 0
    return f"converted from {photometric} to RGB to black it out"


def _fill_values(ds: Dataset, bits: int) -> list[int]:
    """The stored value(s) that show as black, per sample, as unsigned words of ``bits``."""
    photometric = to_text(ds.get("PhotometricInterpretation", "")).upper()
    stored = min(to_int(ds.get("BitsStored")) or bits, bits)
    signed = to_int(ds.get("PixelRepresentation")) == 1
    mask = (1 << bits) - 1
    low, high = (-(1 << (stored - 1)), (1 << (stored - 1)) - 1) if signed \
        else (0, (1 << stored) - 1)
    if photometric in ("MONOCHROME1", "MONOCHROME2"):
        slope = to_number(ds.get("RescaleSlope")) or 1.0
        darkest_is_high = (photometric == "MONOCHROME1") != (slope < 0)
        return [(high if darkest_is_high else low) & mask]
    if photometric == "RGB":
        return [0, 0, 0]
    if photometric == "YBR_FULL":
        return [0, 1 << (stored - 1), 1 << (stored - 1)]
    if photometric == "PALETTE COLOR":
        return [_darkest_palette_index(ds, high) & mask]
    raise DeidentifyError(f"Pixels in {photometric or 'an unknown colour space'} cannot be "
                          "blacked out.")


def _darkest_palette_index(ds: Dataset, high: int) -> int:
    try:
        first = to_int(ds.RedPaletteColorLookupTableDescriptor[1]) or 0
        entries = to_int(ds.RedPaletteColorLookupTableDescriptor[0]) or (1 << 16)
        indices: npt.NDArray[np.int64] = np.arange(first, min(first + entries, high + 1))
        colours = apply_color_lut(indices, ds).astype(np.int64)
    except Exception as exc:
        raise DeidentifyError("This image's colour palette cannot be read.") from exc
    return int(indices[int(np.argmin(colours.sum(axis=-1)))])
