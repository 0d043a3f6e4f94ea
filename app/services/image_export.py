"""Rules for "Save image as…" and "Copy image": what the picture is called, which
options there are and what they say, and writing the file so that no half-written picture
is ever left behind. The drawing itself is the GUI's (the viewport paints itself into an
image); everything a patient reads about it is decided here.

The corner text (name, birth date, dates) is off unless asked for: a patient emailing a
picture should not send their name by accident. When it is asked for, it is the text the
viewer shows, so with names hidden (privacy) the saved picture hides them too.
"""

import contextlib
import errno
import os
import secrets
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from app.core.errors import LightboxError
from app.core.models import InstanceRef
from app.services.privacy import may_show_name_in_pixels
from app.services.viewer_overlay import overlay_of
from app.services.viewer_text import Overlay

if TYPE_CHECKING:
    from app.services.viewer_model import ViewerModel

ImageFormat = Literal["PNG", "JPEG"]
ImageSize = Literal["screen", "image"]

SUFFIXES: dict[ImageFormat, str] = {"PNG": ".png", "JPEG": ".jpg"}
_BINARY = getattr(os, "O_BINARY", 0)  # Windows would otherwise translate newlines.
JPEG_QUALITY = 92  # Small enough to email, no visible blocks on a grey picture.

TEXT_OPTION = "Include the text in the corners (patient name, dates)"
DRAWINGS_OPTION = "Include my drawings and measurements"
TEXT_EXPLANATION = ("This is off so that a picture you email does not carry your name "
                    "by accident.")
HIDDEN_NOTE = "Names are hidden now, so the saved text shows \"(hidden)\" instead of them."
FORMAT_NOTE = ("PNG keeps the picture exactly; JPEG makes a smaller file for email. "
               "Choose by the file type when you pick the name.")
PIXEL_NAME_WARNING = ("This kind of picture often has the patient's name written into the "
                      "image itself; look at it before you send it.")
NO_IMAGE = "There is no picture on screen to save or copy; open a series of images first."


class ImageSaveError(LightboxError):
    """The picture could not be written where the user chose."""


@dataclass(frozen=True)
class ExportOptions:
    """What to put in the saved or copied picture."""

    size: ImageSize = "screen"
    text: bool = False  # The corner text; never on by default.
    drawings: bool = True  # The user's own measurements and labels.


def size_label(size: ImageSize, width: int, height: int) -> str:
    """The words for a size choice, with the pixels it gives."""
    if size == "screen":
        return f"As on screen, with the current zoom ({width} × {height} pixels)"
    return f"The whole picture at full detail ({width} × {height} pixels)"


def suggested_file_name(ref: InstanceRef | None, frame: int = 0,
                        image_format: ImageFormat = "PNG") -> str:
    """A file name from the study date, series and image numbers, never from anything
    that names the patient: "image-2024-01-02-series-3-12.png"."""
    parts = ["image"]
    if ref is not None:
        date = ref.study_date.strip()
        if len(date) == 8 and date.isdigit():
            parts.append(f"{date[:4]}-{date[4:6]}-{date[6:]}")
        if ref.series_number is not None:
            parts.append(f"series-{ref.series_number}")
        if ref.instance_number is not None:
            parts.append(str(ref.instance_number))
        if ref.number_of_frames > 1:
            parts.append(f"frame-{frame + 1}")
    return "-".join(parts) + SUFFIXES[image_format]


def target_and_format(chosen: str, jpeg_filter: bool = False) -> tuple[Path, ImageFormat]:
    """The file to write and its format: the suffix typed decides (.jpg/.jpeg is JPEG,
    .png PNG); without one, the file type chosen in the dialog does, and its suffix is
    added."""
    path = Path(chosen)
    suffix = path.suffix.lower()
    if suffix in (".jpg", ".jpeg"):
        return path, "JPEG"
    if suffix == ".png":
        return path, "PNG"
    image_format: ImageFormat = "JPEG" if jpeg_filter else "PNG"
    return path.with_name(path.name + SUFFIXES[image_format]), image_format


def corner_text(model: "ViewerModel", size: ImageSize) -> Overlay:
    """The corner text to put in a saved picture when asked for: what the viewer shows
    (names hidden while privacy is on), even when the text is switched off on screen,
    without the on-screen notice; the zoom line says 100% for the full-detail picture."""
    overlay = overlay_of(model, text=True)
    corners = list(overlay.corners)
    if size == "image":
        corners[3] = tuple("Zoom 100%" if line.startswith("Zoom ") else line
                           for line in corners[3])
    return replace(overlay, bottom_right=corners[3], notice="")


def pixel_name_warning(model: "ViewerModel") -> str:
    """The warning to give before saving or copying a picture of a kind that often has
    the name burned into its pixels (whatever the corner text option: it cannot help)."""
    burned_in = model.loaded.burned_in_annotation if model.loaded is not None else ""
    return PIXEL_NAME_WARNING if may_show_name_in_pixels(model.modality(), burned_in) else ""


def saved_sentence(path: Path, width: int, height: int, image_format: ImageFormat,
                   text: bool) -> str:
    """What the status bar says after saving."""
    what = "with the corner text" if text else "without the corner text"
    return f"Saved the picture ({width} × {height} pixels, {image_format}, {what}) to {path}."


def copied_sentence(width: int, height: int, warning: str = "") -> str:
    """What the status bar says after copying (and the burned-in-name warning, if any)."""
    said = (f"Copied the picture as on screen ({width} × {height} pixels, without the "
            "corner text); paste it into an email or document.")
    return f"{said} {warning}" if warning else said


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder renamed at
    the end: the file is either whole or not there (nor is the temporary one).

    Raises ImageSaveError with one sentence when the folder may not be written or the
    disk is full.
    """
    # Made here rather than by mkstemp, whose files are private (0600): a picture to email
    # gets the mode any new file gets (the umask applies).
    temp = path.parent / f".{path.name}.{secrets.token_hex(4)}.part"
    made = False
    try:
        handle = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _BINARY, 0o666)
        made = True
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except OSError as exc:
        if made:
            # What was written of the picture goes; the chosen name was never touched.
            with contextlib.suppress(OSError):
                os.unlink(temp)
        raise write_error(exc, path) from exc


def write_error(exc: OSError, path: Path) -> ImageSaveError:
    """The one sentence for an OS error while saving ``path``."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return ImageSaveError(f"The disk holding {path.parent} is full; free some space or "
                              "choose another place (nothing was saved).")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return ImageSaveError(f"Lightbox may not write in {path.parent}; choose a folder "
                              "you may write in (nothing was saved).")
    if exc.errno == errno.ENOENT:
        return ImageSaveError(f"The folder {path.parent} does not exist; choose another "
                              "place (nothing was saved).")
    return ImageSaveError(f"The picture could not be saved to {path} "
                          f"({exc.strerror or exc}); nothing was saved.")
