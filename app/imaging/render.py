"""The rendering entry point shared by the viewer and ``lightbox render``.

A frame is decoded once and prepared once (``prepare_frame``); after that every window
change is one small lookup table (Modality LUT, VOI and polarity folded together, one
entry per stored value) and one gather over the image. That keeps a window/level drag on
a 4096 × 3328 image at the cost of a single numpy ``take``.

Float pixel data and integer data spanning more than ``MAX_LUT_ENTRIES`` values are rare;
those are rendered with direct arithmetic on every pixel instead.
"""

import os
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path

import numpy as np
from PIL import Image
from pydicom.dataset import Dataset

from app.core.dicom_values import element_text
from app.core.errors import RenderError
from app.imaging.attributes import GreyAttributes, grey_attributes
from app.imaging.colour import palette_to_rgb, to_rgb8
from app.imaging.decode import DecodedFrame, DicomImage, PixelLayout, Source, open_image
from app.imaging.luts import (
    MIN_MAX,
    LookupTable,
    MinMax,
    Voi,
    Window,
    apply_voi,
    exact_modality_values,
    min_max_window,
)
from app.imaging.overlays import OVERLAY_VALUE, overlay_mask
from app.imaging.presets import WindowChoice, find_preset, preset_names, window_choices
from app.imaging.viewport import MAX_ZOOM, MIN_ZOOM, Flip, ViewportState, apply_view

# A table this long still builds in well under a millisecond; wider ranges (32-bit data)
# are rendered by direct arithmetic.
MAX_LUT_ENTRIES = 1 << 20
# Larger PNGs take minutes to write and gigabytes to hold; nobody needs them from a viewer.
MAX_OUTPUT_SIDE = 20_000
_MONOCHROME = ("MONOCHROME1", "MONOCHROME2")


class GreyFrame:
    """A grey frame ready for fast re-rendering: what the viewer caches per frame.

    It keeps, per pixel, an index into a table over the stored values present (the stored
    value itself when that is already a valid index), and the modality value of every
    table entry. Rendering with a window then costs one table build and one gather.
    """

    def __init__(
        self,
        stored: np.ndarray,
        attributes: GreyAttributes,
        modality: str = "",
        overlay: np.ndarray | None = None,
    ) -> None:
        self.attributes = attributes
        self.modality = modality
        self.overlay = overlay
        self._overlay_positions = None if overlay is None else np.flatnonzero(overlay)
        self.shape: tuple[int, int] = (int(stored.shape[0]), int(stored.shape[1]))
        self._direct = stored.dtype.kind == "f"
        # Wide integer data keeps its stored values: its table of modality values is
        # truncated for display, and measurements need them exact.
        self._stored: np.ndarray | None = None
        if self._direct:
            self._index = np.empty((0, 0), dtype=np.uint8)
            self._values = attributes.modality.apply(stored)
            self.stored_range = (float(np.nanmin(stored)), float(np.nanmax(stored)))
            return
        stored = _native_order(stored)
        low, high = int(stored.min()), int(stored.max())
        self.stored_range = (float(low), float(high))
        if high - low + 1 > MAX_LUT_ENTRIES:
            self._direct = True
            self._index = np.empty((0, 0), dtype=np.uint8)
            self._stored = stored
            self._values = attributes.modality.apply(stored)
            return
        if low >= 0 and stored.dtype in (np.uint8, np.uint16):
            # Stored values are valid indices already: no per-pixel work at all.
            self._offset = 0
            self._index = stored
        else:
            self._offset = low
            span = high - low + 1
            index_type = np.uint8 if span <= 256 else np.uint16 if span <= 65536 else np.uint32
            self._index = (stored.astype(np.int64) - low).astype(index_type)
        entries = np.arange(self._offset, high + 1, dtype=np.int64)
        self._values = attributes.modality.apply(entries)
        self._present = (low - self._offset, high - self._offset)

    @property
    def nbytes(self) -> int:
        """Memory held, for the viewer's frame cache budget."""
        overlay = 0 if self.overlay is None else self.overlay.nbytes
        stored = 0 if self._stored is None else self._stored.nbytes
        return int(self._index.nbytes + self._values.nbytes + overlay + stored)

    def modality_values(self, rows: slice, columns: slice) -> np.ndarray:
        """The exact modality values of the pixels in ``rows`` × ``columns``, for
        measurements: int64 where they are whole numbers, else float64, never truncated
        as the display's table is."""
        modality = self.attributes.modality
        if self._stored is not None:
            return exact_modality_values(modality, self._stored[rows, columns])
        if self._direct:  # Float data: its modality values were never truncated.
            return np.asarray(self._values[rows, columns], dtype=np.float64)
        return exact_modality_values(modality, self._index[rows, columns], self._offset)

    @property
    def table_index(self) -> np.ndarray:
        """Per pixel, its entry in ``lut()``: ``lut().take(table_index)`` is ``render()``
        without overlays. Empty for frames rendered by direct arithmetic."""
        return self._index

    @property
    def is_direct(self) -> bool:
        """True when rendered by arithmetic on every pixel (float or very wide data)."""
        return self._direct

    @cached_property
    def value_range(self) -> tuple[float, float]:
        """Smallest and largest modality value in the frame (what min-max spans)."""
        if self._direct:
            return float(np.nanmin(self._values)), float(np.nanmax(self._values))
        first, last = self._present
        if self.attributes.modality.is_monotonic:
            ends = self._values[[first, last]]
            return float(ends.min()), float(ends.max())
        # A Modality LUT need not be monotonic: look only at the values really present.
        counts = np.bincount(self._index.ravel(), minlength=len(self._values))
        present = self._values[: len(counts)][counts > 0]
        return float(present.min()), float(present.max())

    def default_voi(self) -> Window | LookupTable:
        """The file's first window, else its first VOI LUT, else min-max."""
        if self.attributes.windows:
            return self.attributes.windows[0]
        if self.attributes.voi_luts:
            return self.attributes.voi_luts[0]
        return self.min_max_window()

    def min_max_window(self) -> Window:
        """The window from the smallest to the largest modality value in the frame."""
        low, high = self.value_range
        return min_max_window(low, high)

    def resolve(self, voi: Voi | None) -> Window | LookupTable:
        """``voi`` with None (file default) and min-max replaced by a concrete window."""
        if voi is None:
            return self.default_voi()
        if isinstance(voi, MinMax):
            return self.min_max_window()
        return voi

    def lut(self, voi: Voi | None = None, invert: bool = False) -> np.ndarray:
        """The uint8 table for ``voi``: entry i is the grey level of table index i."""
        if self._direct:
            raise RenderError("This frame is rendered without a lookup table.")
        inverse = self.attributes.inverse != invert
        return apply_voi(self._values, self.resolve(voi), inverse)

    def render(
        self,
        voi: Voi | None = None,
        invert: bool = False,
        step: int = 1,
        overlays: bool = True,
        palette: np.ndarray | None = None,
    ) -> np.ndarray:
        """The frame as uint8 (rows, columns) through ``voi`` (None: the file default).

        ``step`` > 1 takes every step-th pixel in both directions, for drawing a large
        image at screen resolution at the cost of the pixels drawn only. ``overlays``
        burns in the file's graphics overlays. ``palette`` (256 entries) maps each grey
        level to another value, folded into the same table so it costs no extra pass: the
        viewer asks for 32-bit pixels that Qt draws fastest.
        """
        inverse = self.attributes.inverse != invert
        if self._direct:
            values = self._values if step == 1 else self._values[::step, ::step]
            out = apply_voi(np.nan_to_num(values), self.resolve(voi), inverse)
            if palette is not None:
                out = palette.take(out)
        else:
            table = apply_voi(self._values, self.resolve(voi), inverse)
            if palette is not None:
                table = palette.take(table)
            index = self._index if step == 1 else self._index[::step, ::step]
            out = table.take(index)
        if overlays and self.overlay is not None:
            mark = OVERLAY_VALUE if palette is None else palette[OVERLAY_VALUE]
            if step == 1 and self._overlay_positions is not None:
                out.flat[self._overlay_positions] = mark
            else:
                out[self.overlay[::step, ::step]] = mark
        return out


class ColourFrame:
    """A colour frame, converted to 8-bit RGB once; windows do not apply to colour."""

    def __init__(self, rgb: np.ndarray) -> None:
        self.rgb = rgb
        self.shape: tuple[int, int] = (int(rgb.shape[0]), int(rgb.shape[1]))

    @property
    def nbytes(self) -> int:
        """Memory held, for the viewer's frame cache budget."""
        return int(self.rgb.nbytes)

    def render(self, voi: Voi | None = None, invert: bool = False, step: int = 1) -> np.ndarray:
        """The frame as uint8 (rows, columns, 3); ``voi`` is ignored, as dcmtk does."""
        rgb = self.rgb if step == 1 else self.rgb[::step, ::step]
        return 255 - rgb if invert else rgb


PreparedFrame = GreyFrame | ColourFrame


def render(
    frame: PreparedFrame,
    voi: Voi | None = None,
    invert: bool = False,
    step: int = 1,
    overlays: bool = True,
) -> np.ndarray:
    """``frame`` as uint8: (rows, columns) for grey, (rows, columns, 3) for colour.

    ``voi`` None is the file's default (first window, else first VOI LUT, else min-max);
    colour frames ignore it. ``invert`` swaps black and white on top of the file's own
    polarity; ``step`` > 1 samples every step-th pixel (screen resolution for large images).
    """
    if isinstance(frame, ColourFrame):
        return frame.render(voi, invert, step)
    return frame.render(voi, invert, step, overlays)


def prepare_frame(image: DicomImage, index: int) -> PreparedFrame:
    """Decode frame ``index`` of ``image`` and prepare it for rendering (once per frame)."""
    return prepare_decoded(image.decode_frame(index), image.layout, image.header)


def prepare_decoded(frame: DecodedFrame, layout: PixelLayout, header: Dataset) -> PreparedFrame:
    """Prepare an already decoded frame: colour to RGB, or grey to its lookup index."""
    photometric = frame.photometric
    pixels = frame.pixels
    if photometric == "PALETTE COLOR" and pixels.ndim == 2:
        return ColourFrame(palette_to_rgb(pixels, header))
    if pixels.ndim == 3:
        subsampled = layout.photometric == "YBR_FULL_422"
        return ColourFrame(to_rgb8(pixels, photometric, layout.bits_stored, subsampled))
    if photometric not in _MONOCHROME:
        photometric = "MONOCHROME2"  # One sample a pixel is grey, whatever the header says.
    stored = stored_values(pixels, layout.bits_stored, layout.is_signed)
    attributes = grey_attributes(header, frame.index, photometric, layout.is_signed)
    modality = element_text(header, "Modality")
    overlay = overlay_mask(header, frame.index, (int(pixels.shape[0]), int(pixels.shape[1])))
    return GreyFrame(stored, attributes, modality, overlay)


def stored_values(pixels: np.ndarray, bits_stored: int, signed: bool) -> np.ndarray:
    """``pixels`` limited to Bits Stored: masked, and sign-extended when signed.

    Decoders normally do this; it is checked here (one min/max pass) because a value
    outside the stored range would index the wrong table entry.
    """
    if pixels.dtype.kind not in "iu" or bits_stored >= pixels.dtype.itemsize * 8:
        return pixels
    low = -(1 << (bits_stored - 1)) if signed else 0
    high = (1 << (bits_stored - 1)) - 1 if signed else (1 << bits_stored) - 1
    if int(pixels.min()) >= low and int(pixels.max()) <= high:
        return pixels
    masked = pixels.astype(np.int64) & ((1 << bits_stored) - 1)
    if signed:
        masked = np.where(masked > high, masked - (1 << bits_stored), masked)
    if bits_stored > 16:
        return masked
    return masked.astype(np.int16 if signed else np.uint16)


def _native_order(array: np.ndarray) -> np.ndarray:
    if array.dtype.byteorder in ("=", "|"):
        return array
    return array.astype(array.dtype.newbyteorder("="))


def available_windows(frame: PreparedFrame) -> list[WindowChoice]:
    """The windows to offer for ``frame`` (none for colour frames)."""
    if isinstance(frame, ColourFrame):
        return []
    attributes = frame.attributes
    return window_choices(frame.modality, attributes.windows, attributes.voi_luts)


def choose_voi(
    window: Sequence[float] | None = None, preset: str | None = None, minmax: bool = False
) -> Voi | None:
    """The VOI the command line asks for: an explicit window, a preset, min-max, or None
    for the file's default. At most one may be given."""
    given = sum(1 for option in (window is not None, preset is not None, minmax) if option)
    if given > 1:
        raise RenderError("Give only one of a window, a preset or min-max.")
    if window is not None:
        center, width = (float(value) for value in window)
        if width < 1:
            raise RenderError("The window width must be at least 1.")
        return Window(center, width)
    if preset is not None:
        found = find_preset(preset)
        if found is None:
            raise RenderError(
                f"There is no window preset called {preset!r}; choose one of: "
                f"{', '.join(preset_names())}."
            )
        return found.window
    return MIN_MAX if minmax else None


def render_file(
    source: Source,
    frame: int = 0,
    window: Sequence[float] | None = None,
    preset: str | None = None,
    minmax: bool = False,
    rotate: int = 0,
    flip: Flip | None = None,
    zoom: float = 1.0,
    invert: bool = False,
) -> np.ndarray:
    """Render one frame of the file at ``source`` as the viewer shows it: uint8 (rows,
    columns) for grey, (rows, columns, 3) for colour, oriented and zoomed.

    Raises DecodeError (a RenderError) when the frame cannot be decoded, RenderError for
    options that make no sense.
    """
    voi = choose_voi(window, preset, minmax)
    if rotate % 90:
        raise RenderError("The rotation must be 0, 90, 180 or 270 degrees.")
    if not MIN_ZOOM <= zoom <= MAX_ZOOM:
        raise RenderError(f"The zoom factor must be between {MIN_ZOOM:g} and {MAX_ZOOM:g}.")
    state = ViewportState(voi=voi, invert=invert, zoom=zoom).rotated(rotate)
    if flip is not None:
        state = state.flipped(flip)
    with open_image(source) as image:
        prepared = prepare_frame(image, frame)
    rows, columns = prepared.shape
    if max(rows, columns) * zoom > MAX_OUTPUT_SIDE:
        raise RenderError(
            f"At zoom {zoom:g} the image would be over {MAX_OUTPUT_SIDE:,} pixels wide; "
            "choose a smaller zoom."
        )
    pixels = render(prepared, state.voi, state.invert)
    return np.ascontiguousarray(apply_view(pixels, state))


def render_file_to_png(
    path: str | os.PathLike[str],
    out: str | os.PathLike[str],
    frame: int = 0,
    window: Sequence[float] | None = None,
    preset: str | None = None,
    minmax: bool = False,
    rotate: int = 0,
    flip: Flip | None = None,
    zoom: float = 1.0,
    invert: bool = False,
) -> tuple[int, int]:
    """``lightbox render``: write one frame of ``path`` to the PNG file ``out``.

    Returns the (width, height) written. Raises RenderError (DecodeError included) with a
    one-sentence message when the frame cannot be rendered or written.
    """
    pixels = render_file(path, frame, window, preset, minmax, rotate, flip, zoom, invert)
    try:
        Image.fromarray(pixels).save(Path(out), format="PNG")
    except OSError as exc:
        raise RenderError(f"The image cannot be written to {out}: {exc.strerror or exc}.") from exc
    return int(pixels.shape[1]), int(pixels.shape[0])
