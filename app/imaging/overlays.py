"""Graphics overlays (groups 6000-601E): burnt into grey frames as white, as dcmtk does.

Overlays carry annotations that belong to the image (arrows, measurements, markers from
the modality). Only graphics overlays (type G) are drawn; region-of-interest overlays
(type R) describe an area rather than marks to show. An overlay with one frame applies to
every frame of a multi-frame image; a multi-frame overlay starts at its Image Frame Origin.
"""

import numpy as np
from pydicom.dataset import Dataset

from app.core.dicom_values import element_int

OVERLAY_VALUE = 255
_FIRST_GROUP = 0x6000
_LAST_GROUP = 0x601E


def overlay_mask(header: Dataset, frame: int, shape: tuple[int, int]) -> np.ndarray | None:
    """A boolean (rows, columns) mask of the overlay pixels of ``frame``; None if none.

    A damaged overlay is skipped: the image matters more than its annotations.
    """
    mask: np.ndarray | None = None
    for group in range(_FIRST_GROUP, _LAST_GROUP + 1, 2):
        if (group << 16 | 0x3000) not in header:
            continue
        try:
            plane = _overlay_plane(header, group, frame)
            if plane is None:
                continue
            origin = _origin(header, group)
        except Exception:
            continue
        if mask is None:
            mask = np.zeros(shape, dtype=bool)
        _place(mask, plane, origin)
    if mask is None or not mask.any():
        return None
    return mask


def _overlay_plane(header: Dataset, group: int, frame: int) -> np.ndarray | None:
    type_tag = group << 16 | 0x0040
    kind = str(header[type_tag].value or "G") if type_tag in header else "G"
    if kind.strip().upper() != "G":
        return None
    data = header.overlay_array(group)
    if data.ndim == 2:
        return data.astype(bool)
    first = element_int(header, group << 16 | 0x0051, 1) - 1
    position = frame - first
    if not 0 <= position < data.shape[0]:
        return None
    return data[position].astype(bool)  # type: ignore[no-any-return]


def _origin(header: Dataset, group: int) -> tuple[int, int]:
    """Row and column (from 0) of the overlay's first pixel; (1, 1) in DICOM's terms."""
    tag = group << 16 | 0x0050
    if tag not in header:
        return 0, 0
    value = header[tag].value
    try:
        return int(value[0]) - 1, int(value[1]) - 1
    except (TypeError, ValueError, IndexError):
        return 0, 0


def _place(mask: np.ndarray, plane: np.ndarray, origin: tuple[int, int]) -> None:
    """OR ``plane`` into ``mask`` at ``origin``, clipped to the image."""
    top, left = origin
    rows, columns = mask.shape
    src_top, src_left = max(0, -top), max(0, -left)
    dst_top, dst_left = max(0, top), max(0, left)
    height = min(plane.shape[0] - src_top, rows - dst_top)
    width = min(plane.shape[1] - src_left, columns - dst_left)
    if height <= 0 or width <= 0:
        return
    mask[dst_top : dst_top + height, dst_left : dst_left + width] |= plane[
        src_top : src_top + height, src_left : src_left + width
    ]
