"""What the viewport shows, as pure data, and the pure transforms that draw it.

``ViewportState`` is a frozen value: every change makes a new one, so the Qt canvas can
compare old and new and redraw only on a real change. Orientation is applied in screen
space: first the clockwise rotation, then the flips of what the rotated image looks like.
"""

from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
from PIL import Image

from app.imaging.luts import Voi, Window

Rotation = Literal[0, 90, 180, 270]
Flip = Literal["h", "v"]
ROTATIONS: tuple[Rotation, ...] = (0, 90, 180, 270)
MIN_ZOOM = 0.01
MAX_ZOOM = 64.0


@dataclass(frozen=True)
class ViewportState:
    """Window, polarity, zoom, pan, rotation and flips of one viewport.

    ``voi`` None means the file's default (its first window, else its first VOI LUT, else
    min-max). ``zoom`` is screen pixels per image pixel; ``pan`` is the offset of the image
    centre from the viewport centre, in screen pixels.
    """

    voi: Voi | None = None
    invert: bool = False
    zoom: float = 1.0
    pan: tuple[float, float] = (0.0, 0.0)
    rotation: Rotation = 0
    flip_h: bool = False
    flip_v: bool = False

    def with_voi(self, voi: Voi | None) -> "ViewportState":
        """The same view with another window, VOI LUT, min-max, or the file default."""
        return replace(self, voi=voi)

    def with_window(self, center: float, width: float) -> "ViewportState":
        """The same view with an explicit linear window."""
        return replace(self, voi=Window(center, max(1.0, width)))

    def toggled_invert(self) -> "ViewportState":
        """Black and white swapped."""
        return replace(self, invert=not self.invert)

    def rotated(self, degrees: int = 90) -> "ViewportState":
        """Turned clockwise by a multiple of 90 degrees (negative turns anticlockwise)."""
        if degrees % 90:
            raise ValueError("Rotation must be a multiple of 90 degrees.")
        turned = (self.rotation + degrees) % 360
        return replace(self, rotation=_rotation(turned))

    def flipped(self, axis: Flip) -> "ViewportState":
        """Mirrored left-right (``h``) or top-bottom (``v``) as seen on the screen."""
        if axis == "h":
            return replace(self, flip_h=not self.flip_h)
        return replace(self, flip_v=not self.flip_v)

    def zoomed(self, factor: float) -> "ViewportState":
        """Zoom multiplied by ``factor``, kept within sensible bounds."""
        return replace(self, zoom=min(MAX_ZOOM, max(MIN_ZOOM, self.zoom * factor)))

    def panned(self, dx: float, dy: float) -> "ViewportState":
        """Image moved by (dx, dy) screen pixels."""
        return replace(self, pan=(self.pan[0] + dx, self.pan[1] + dy))

    def reset_view(self) -> "ViewportState":
        """Zoom, pan, rotation and flips back to the start; window and polarity kept."""
        return replace(self, zoom=1.0, pan=(0.0, 0.0), rotation=0, flip_h=False, flip_v=False)


def _rotation(degrees: int) -> Rotation:
    for rotation in ROTATIONS:
        if rotation == degrees:
            return rotation
    raise ValueError(f"Rotation must be 0, 90, 180 or 270 degrees, not {degrees}.")


def dragged_window(window: Window, dx: float, dy: float, value_span: float) -> Window:
    """The window after a mouse drag of (dx, dy) screen pixels, as most viewers do it.

    Right widens, left narrows; down raises the centre (darker image), up lowers it. One
    pixel moves by about 1/512 of the frame's value span, so a drag feels the same on an
    8-bit ultrasound and on a 16-bit CT.
    """
    step = max(value_span, 1.0) / 512.0
    return Window(
        center=window.center + dy * step,
        width=max(1.0, window.width + dx * step),
        function=window.function,
        explanation="",
    )


def orient(
    image: np.ndarray, rotation: int = 0, flip_h: bool = False, flip_v: bool = False
) -> np.ndarray:
    """``image`` (rows, columns[, 3]) turned clockwise by ``rotation``, then flipped.

    Returns a view where numpy can (no copy); callers that need contiguous memory (a
    QImage, Pillow) copy once at the end.
    """
    turned = np.rot90(image, k=-(_rotation(rotation % 360) // 90), axes=(0, 1))
    if flip_h:
        turned = turned[:, ::-1]
    if flip_v:
        turned = turned[::-1]
    return turned


def zoom_image(image: np.ndarray, factor: float) -> np.ndarray:
    """``image`` resized by ``factor``: nearest neighbour when enlarging (pixels stay
    visible, as radiologists expect), area averaging when shrinking (no aliasing)."""
    if factor <= 0:
        raise ValueError("The zoom factor must be greater than 0.")
    if factor == 1.0:
        return image
    rows, columns = image.shape[:2]
    size = (max(1, round(columns * factor)), max(1, round(rows * factor)))
    method = Image.Resampling.NEAREST if factor > 1 else Image.Resampling.BOX
    resized = Image.fromarray(np.ascontiguousarray(image)).resize(size, method)
    return np.asarray(resized)


def apply_view(image: np.ndarray, state: ViewportState) -> np.ndarray:
    """Orientation and zoom of ``state`` applied to a rendered uint8 image."""
    oriented = orient(image, state.rotation, state.flip_h, state.flip_v)
    return zoom_image(oriented, state.zoom)


# -- points: image coordinates <-> oriented image <-> view -----------------------------------
# Image coordinates are those of app.imaging.measure: x along columns, y along rows, (0, 0)
# the top-left corner of the top-left pixel, a pixel's centre at (c + 0.5, r + 0.5). These
# functions move points exactly as ``orient`` moves pixels, so an annotation stays on the
# pixel it was drawn on through every rotation and flip.

Point = tuple[float, float]


def oriented_size(size: tuple[int, int], rotation: int) -> tuple[int, int]:
    """(width, height) of an image of ``size`` (width, height) after ``rotation``."""
    width, height = size
    return (height, width) if _rotation(rotation % 360) in (90, 270) else (width, height)


def orient_point(
    point: Point, size: tuple[int, int], rotation: int = 0, flip_h: bool = False,
    flip_v: bool = False,
) -> Point:
    """Where ``point`` of an image of ``size`` (width, height) lands in ``orient``'s output."""
    width, height = size
    x, y = point
    turned = _rotation(rotation % 360)
    if turned == 90:
        x, y = height - y, x
    elif turned == 180:
        x, y = width - x, height - y
    elif turned == 270:
        x, y = y, width - x
    out_width, out_height = oriented_size(size, turned)
    if flip_h:
        x = out_width - x
    if flip_v:
        y = out_height - y
    return x, y


def unorient_point(
    point: Point, size: tuple[int, int], rotation: int = 0, flip_h: bool = False,
    flip_v: bool = False,
) -> Point:
    """The inverse of ``orient_point``: the image point under ``point`` of the oriented
    image (``size`` is still the unoriented (width, height))."""
    width, height = size
    out_width, out_height = oriented_size(size, rotation)
    x, y = point
    if flip_v:
        y = out_height - y
    if flip_h:
        x = out_width - x
    turned = _rotation(rotation % 360)
    if turned == 90:
        x, y = y, height - x
    elif turned == 180:
        x, y = width - x, height - y
    elif turned == 270:
        x, y = width - y, x
    return x, y


def to_view(
    point: Point, size: tuple[int, int], state: ViewportState, view_size: tuple[float, float],
    zoom: float | None = None,
) -> Point:
    """The view (widget) position of image ``point``.

    ``size`` is the image's (width, height); ``view_size`` the widget's (width, height);
    ``zoom`` the screen pixels per image pixel actually drawn (the fit zoom, say), by
    default ``state.zoom``. The image centre sits at the view centre plus ``state.pan``.
    """
    scale = state.zoom if zoom is None else zoom
    x, y = orient_point(point, size, state.rotation, state.flip_h, state.flip_v)
    width, height = oriented_size(size, state.rotation)
    return (
        view_size[0] / 2 + state.pan[0] + (x - width / 2) * scale,
        view_size[1] / 2 + state.pan[1] + (y - height / 2) * scale,
    )


def to_image(
    point: Point, size: tuple[int, int], state: ViewportState, view_size: tuple[float, float],
    zoom: float | None = None,
) -> Point:
    """The image point under view position ``point``: the inverse of ``to_view``."""
    scale = state.zoom if zoom is None else zoom
    if scale <= 0:
        raise ValueError("The zoom must be greater than 0.")
    width, height = oriented_size(size, state.rotation)
    x = (point[0] - view_size[0] / 2 - state.pan[0]) / scale + width / 2
    y = (point[1] - view_size[1] / 2 - state.pan[1]) / scale + height / 2
    return unorient_point((x, y), size, state.rotation, state.flip_h, state.flip_v)
