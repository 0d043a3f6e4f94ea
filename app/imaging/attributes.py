"""Read the grey-scale rendering attributes of one frame from a header.

Rescale, windows, Modality and VOI LUTs may sit at the top level of the dataset or, in
enhanced multi-frame objects, in the shared or per-frame functional groups (per-frame wins).
dcmtk 3.6.7 reads the rescale from the functional groups but ignores their windows;
Lightbox honours both, because that is where enhanced CT and MR put the window that makes
the image readable.

Damaged values are skipped, never raised: a file with a broken window still shows, with the
next window or min-max.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydicom.dataset import Dataset

from app.core.dicom_values import dataset_numbers, element_text
from app.imaging.luts import LookupTable, ModalityTransform, VoiFunction, Window
from app.imaging.orientation import functional_groups


@dataclass(frozen=True)
class GreyAttributes:
    """Everything that turns one frame's stored values into grey levels, from the header."""

    modality: ModalityTransform
    windows: tuple[Window, ...]
    voi_luts: tuple[LookupTable, ...]
    inverse: bool
    windows_in_functional_groups: bool = False


def grey_attributes(header: Dataset, frame: int, photometric: str, signed: bool) -> GreyAttributes:
    """The modality transform, windows, VOI LUTs and polarity of frame ``frame``."""
    groups = functional_groups(header, frame)
    rescale_item = _first_item(groups, "PixelValueTransformationSequence")
    voi_item = _first_item(groups, "FrameVOILUTSequence")
    modality = _modality(header, rescale_item, signed)
    windows = _windows(voi_item) if voi_item is not None else ()
    from_groups = bool(windows)
    if not windows:
        windows = _windows(header)
    # PS3.3 C.11.6: the shape is applied "other than to account for the Photometric
    # Interpretation", so MONOCHROME1 is inverted whatever it says (dcmtk lets a stray
    # IDENTITY undo that; a MONOCHROME1 chest with black bones helps nobody).
    shape = element_text(header, "PresentationLUTShape").upper()
    inverse = photometric == "MONOCHROME1" or shape == "INVERSE"
    return GreyAttributes(
        modality=modality,
        windows=windows,
        voi_luts=tuple(_luts(header, "VOILUTSequence", signed)),
        inverse=inverse,
        windows_in_functional_groups=from_groups,
    )


def _first_item(groups: Iterable[Dataset], keyword: str) -> Dataset | None:
    for group in groups:
        try:
            sequence = group.get(keyword)
        except Exception:
            continue
        if sequence:
            return sequence[0]  # type: ignore[no-any-return]
    return None


def _numbers(dataset: Dataset, keyword: str) -> list[float]:
    """A DS/IS/US value as floats (one or many), the finite ones; [] when absent, empty or
    unreadable."""
    return [n for n in dataset_numbers(dataset, keyword) if np.isfinite(n)]


def _is_sequence(value: object) -> bool:
    return isinstance(value, list | tuple) or (
        hasattr(value, "__iter__") and not isinstance(value, str | bytes)
    )


def _strings(dataset: Dataset, keyword: str) -> list[str]:
    try:
        value = dataset.get(keyword)
    except Exception:
        return []
    if value is None:
        return []
    items: Iterable[Any] = value if _is_sequence(value) else [value]
    return [str(item).strip("\0 ") for item in items]


def _modality(header: Dataset, rescale_item: Dataset | None, signed: bool) -> ModalityTransform:
    for lut in _luts(header, "ModalityLUTSequence", signed):
        return ModalityTransform(lut=lut)
    source = rescale_item if rescale_item is not None else header
    slopes = _numbers(source, "RescaleSlope")
    intercepts = _numbers(source, "RescaleIntercept")
    slope = slopes[0] if slopes and slopes[0] != 0 else 1.0
    intercept = intercepts[0] if intercepts else 0.0
    return ModalityTransform(slope=slope, intercept=intercept)


def _windows(source: Dataset) -> tuple[Window, ...]:
    centers = _numbers(source, "WindowCenter")
    widths = _numbers(source, "WindowWidth")
    explanations = _strings(source, "WindowCenterWidthExplanation")
    function = _voi_function(element_text(source, "VOILUTFunction"))
    windows = []
    for position, (center, width) in enumerate(zip(centers, widths, strict=False)):
        if width <= 0 or (width < 1 and function != "SIGMOID"):
            continue  # PS3.3 C.11.2.1.2: a linear window is at least 1 wide.
        explanation = explanations[position] if position < len(explanations) else ""
        windows.append(Window(center, width, function, explanation))
    return tuple(windows)


def _voi_function(text: str) -> VoiFunction:
    upper = text.upper()
    if upper == "SIGMOID":
        return "SIGMOID"
    if upper == "LINEAR_EXACT":
        return "LINEAR_EXACT"
    return "LINEAR"


def _luts(header: Dataset, keyword: str, signed: bool) -> Iterator[LookupTable]:
    try:
        items = header.get(keyword) or []
    except Exception:
        return
    little = header.original_encoding[1] is not False
    for item in items:
        lut = _lookup_table(item, signed, little)
        if lut is not None:
            yield lut


def _lookup_table(item: Dataset, signed: bool, little: bool) -> LookupTable | None:
    descriptor = _numbers(item, "LUTDescriptor")
    if len(descriptor) != 3:
        return None
    entries, first, bits = (int(value) for value in descriptor)
    entries = entries or 65536  # PS3.3 C.11.1.1: 0 means 2**16 entries.
    if signed and first >= 32768:
        first -= 65536  # Read as US where the pixels make it SS.
    data = _lut_data(item, entries, little)
    if data is None or len(data) == 0:
        return None
    if not 1 <= bits <= 16:
        bits = max(8, int(data.max()).bit_length())
    return LookupTable(
        first_mapped=first,
        bits=bits,
        data=data,
        explanation=element_text(item, "LUTExplanation"),
    )


def _lut_data(item: Dataset, entries: int, little: bool) -> np.ndarray | None:
    try:
        value = item.get("LUTData")
    except Exception:
        return None
    if value is None:
        return None
    if isinstance(value, bytes | bytearray):
        if len(value) >= 2 * entries:
            dtype = np.dtype("<u2" if little else ">u2")
            return np.frombuffer(bytes(value), dtype=dtype)[:entries].astype(np.int64)
        if len(value) == entries:
            return np.frombuffer(bytes(value), dtype=np.uint8).astype(np.int64)
        return None
    numbers = _numbers(item, "LUTData")
    if not numbers:
        return None
    return np.asarray(numbers[:entries], dtype=np.int64)
