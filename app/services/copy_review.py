"""What the person making a copy without their name looks at and decides before it leaves:
the images that may show text burned into their pixels, a picture of each as the copy
would carry it, one choice per image, and the pseudonym the copy gets when none is typed.
No Qt: the GUI only shows these and passes the choices back.

The choice for an image that may show burned-in text is one of:

- ``EXCLUDE`` (the default): the image is left out of the copy;
- ``INCLUDE``: the image goes into the copy as it is, because the user looked and said so;
- ``BLACK_OUT``: a saved rule for its modality and image size blacks out rectangles, on
  this image and on every image of the same kind (the rule is what decides, so the choice
  follows the rules saved beside the library).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
from PIL import Image
from pydicom import dcmread

from app.core.errors import LightboxError
from app.deidentify.blackout import BlackoutRule, Rectangle, black_out
from app.deidentify.deidentifier import Deidentifier
from app.imaging.decode import open_image
from app.imaging.render import prepare_frame, render
from app.library.library import Library
from app.services.burned_in_review import BurnedInImage
from app.services.copy_options import DeidentifyOptions
from app.services.library_service import LibraryService
from app.services.viewer_text import display_name, modality_words

__all__ = [
    "BLACK_OUT", "EXCLUDE", "INCLUDE", "BlackoutRule", "Choice", "Picture", "Pseudonym",
    "Rectangle", "ReviewImage", "choice_for", "choices_summary", "copy_options",
    "default_pseudonyms", "describe_rectangle", "dragged_rectangle", "instance_picture",
    "places_words", "plain_reason", "review_images", "review_intro", "review_pictures",
    "rule_for_image", "rules", "save_rule", "shown_rectangles",
]

Choice = Literal["exclude", "include", "black-out"]
EXCLUDE: Choice = "exclude"
INCLUDE: Choice = "include"
BLACK_OUT: Choice = "black-out"

# The largest side of a picture the editor works on: bigger images are sampled down (the
# rectangles are still given in the image's own pixels).
EDITOR_SIDE = 1024


@dataclass(frozen=True)
class ReviewImage:
    """One image of a study that may show burned-in text, described without identifying
    anyone: ``label`` ("Ultrasound, image 3 of series 2"), ``reason`` (why it is flagged,
    the engine's phrase: see :func:`plain_reason` for a patient) and ``file`` (the stored
    file, to draw it; never changed)."""

    study_instance_uid: str
    sop_instance_uid: str
    modality: str
    rows: int
    columns: int
    label: str
    reason: str
    file: Path | None = None

    @property
    def key(self) -> tuple[str, int, int]:
        """What a black-out rule for it is keyed by: (modality, rows, columns)."""
        return (self.modality.upper(), self.rows, self.columns)

    @property
    def kind(self) -> str:
        """"Ultrasound, 640 x 480 pixels": the kind of picture a rule for it applies to."""
        words = modality_words(self.modality) if self.modality else "No modality"
        return f"{words}, {self.columns} x {self.rows} pixels"

    @classmethod
    def of(cls, image: BurnedInImage) -> ReviewImage:
        """The review's view of one of ``LibraryService.burned_in_images``."""
        text = modality_words(image.modality) if image.modality else "Image"
        if image.instance_number is not None:
            text += f", image {image.instance_number}"
        if image.series_number is not None:
            text += f" of series {image.series_number}"
        return cls(image.study_instance_uid, image.sop_instance_uid, image.modality.upper(),
                   image.rows, image.columns, text, image.reason, image.file)


def review_images(library: LibraryService, study_uids: Sequence[str]) -> list[ReviewImage]:
    """The images of these studies that may show burned-in text, in the order a copy
    lists them. LibraryError for a study the library does not hold."""
    return [ReviewImage.of(image) for study in dict.fromkeys(study_uids)
            for image in library.burned_in_images(study)]


# -- rules ---------------------------------------------------------------------------------
def rules(library: LibraryService) -> list[BlackoutRule]:
    """The black-out rules saved beside the library."""
    return library.blackout_rules()


def save_rule(library: LibraryService, image: ReviewImage,
              rectangles: Iterable[Rectangle]) -> BlackoutRule:
    """Save the rectangles drawn on ``image`` as the rule for every image of its kind
    (replacing an earlier rule for that kind); the saved rule."""
    modality, rows, columns = image.key
    rule = BlackoutRule(modality, rows, columns, tuple(rectangles))
    library.save_blackout_rule(rule)
    return rule


def rule_for_image(image: ReviewImage, saved: Iterable[BlackoutRule]) -> BlackoutRule | None:
    """The saved rule that applies to ``image``, if any."""
    return next((rule for rule in saved if rule.key == image.key), None)


def choice_for(image: ReviewImage, saved: Iterable[BlackoutRule],
               chosen: Choice | None = None) -> Choice:
    """What happens to ``image``: blacked out when a rule for its kind is saved (unless the
    user chose to leave it out or include it as it is), else the user's choice, else left
    out."""
    if chosen in (EXCLUDE, INCLUDE):
        return chosen
    return BLACK_OUT if rule_for_image(image, saved) is not None else EXCLUDE


# -- pictures ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Picture:
    """An image's first frame rendered in its own window (uint8 grey, or RGB), and the
    size of the image it shows (the picture may be smaller)."""

    pixels: npt.NDArray[np.uint8]
    rows: int
    columns: int


def instance_picture(library: LibraryService, image: ReviewImage, max_side: int,
                     rectangles: Sequence[Rectangle] = ()) -> Picture:
    """The first frame of a library image through the viewer's pipeline, at most
    ``max_side`` pixels a side, with ``rectangles`` blacked out as the copy would have
    them. LightboxError (one sentence) when it cannot be read or drawn."""
    path = image.file
    if path is None:
        with Library(library.home) as opened:
            stored = opened.find(image.sop_instance_uid)
            if stored is None:
                raise LightboxError("That image is no longer in the library.")
            path = opened.store.path(stored.file)
    try:
        if rectangles:
            ds = dcmread(path, force=True)
            black_out(ds, rectangles)
            buffer = io.BytesIO()
            ds.save_as(buffer)
            buffer.seek(0)
            source: io.BytesIO | str = buffer
        else:
            source = str(path)
        with open_image(source) as opened_image:
            prepared = prepare_frame(opened_image, 0)
    except LightboxError:
        raise
    except Exception as exc:
        raise LightboxError(
            f"This image could not be drawn ({type(exc).__name__}).") from exc
    rows, columns = prepared.shape
    step = max(1, max(rows, columns) // (max_side * 2))
    pixels = render(prepared, step=step)
    picture = Image.fromarray(pixels)
    picture.thumbnail((max_side, max_side), Image.Resampling.BILINEAR)
    return Picture(np.asarray(picture), rows, columns)


# -- pseudonyms ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Pseudonym:
    """The name and ID a de-identified copy gives one patient when none is typed."""

    patient_name: str
    patient_id: str

    @property
    def shown_name(self) -> str:
        """The name as people read it ("Anonymous, 4KQ7ZT")."""
        return display_name(self.patient_name)


def default_pseudonyms(library: LibraryService, study_uids: Sequence[str]) -> list[Pseudonym]:
    """The default pseudonym of each patient of these studies, in order, once each."""
    found: dict[Pseudonym, None] = {}
    with Library(library.home) as opened:
        secret = opened.deidentification_secret()
        headers = []
        for study in dict.fromkeys(study_uids):
            files = opened.study_files(study)
            if files:
                headers.append(dcmread(opened.store.path(files[0].file),
                                       stop_before_pixels=True, force=True))
    deidentifier = Deidentifier(secret)
    for ds in headers:
        found[Pseudonym(*deidentifier.patient_name_and_id(ds))] = None
    return list(found)


# -- the copy ------------------------------------------------------------------------------
def copy_options(patient_name: str | None, patient_id: str | None,
                 choices: Mapping[str, Choice]) -> DeidentifyOptions:
    """The options of a de-identified copy (``LibraryService.export`` and
    ``share_without_name``) from what the user typed and chose: the pictures left out
    and those included as they are; those to black out follow the saved rules."""
    return DeidentifyOptions(
        patient_name=(patient_name or "").strip() or None,
        patient_id=(patient_id or "").strip() or None,
        exclude_images=frozenset(uid for uid, c in choices.items() if c == EXCLUDE),
        include_images=frozenset(uid for uid, c in choices.items() if c == INCLUDE),
    )


def dragged_rectangle(x0: float, y0: float, x1: float, y1: float, rows: int,
                      columns: int) -> Rectangle | None:
    """The rectangle of image pixels a mouse drag from (x0, y0) to (x1, y1) covers (in
    image pixels, either direction), clipped to the image; None when it covers less than
    a pixel either way (a click, not a drag)."""
    left, right = max(0.0, min(x0, x1)), min(float(columns), max(x0, x1))
    top, bottom = max(0.0, min(y0, y1)), min(float(rows), max(y0, y1))
    if right - left < 1 or bottom - top < 1:
        return None  # A click, or a drag beside the image.
    x, y = int(left), int(top)
    return Rectangle(x, y, int(np.ceil(right)) - x, int(np.ceil(bottom)) - y)


def describe_rectangle(rectangle: Rectangle) -> str:
    """"240 x 40 pixels, 12 from the left, 8 from the top"."""
    return (f"{rectangle.width} x {rectangle.height} pixels, {rectangle.x} from the left, "
            f"{rectangle.y} from the top")


def review_pictures(
    library: LibraryService, wanted: Sequence[tuple[ReviewImage, tuple[Rectangle, ...]]],
    size: int,
) -> Iterator[tuple[str, tuple[Rectangle, ...], Picture | str]]:
    """A small picture of each image as the copy would carry it (``wanted`` gives the
    rectangles to black out on each), one at a time: (SOP Instance UID, the rectangles,
    the picture or why it cannot be drawn)."""
    for image, rectangles in wanted:
        try:
            picture: Picture | str = instance_picture(library, image, size, rectangles)
        except LightboxError as exc:
            picture = str(exc)
        yield image.sop_instance_uid, rectangles, picture


def shown_rectangles(image: ReviewImage, choice: Choice,
                     saved: Iterable[BlackoutRule]) -> tuple[Rectangle, ...]:
    """What is black on ``image`` in the copy, given its choice."""
    rule = rule_for_image(image, saved)
    return rule.rectangles if choice == BLACK_OUT and rule is not None else ()


def choices_summary(choices: Iterable[Choice]) -> str:
    """"2 left out, 1 included as it is, 3 blacked out"."""
    counted = list(choices)
    parts = []
    for choice, words in ((EXCLUDE, "left out"), (INCLUDE, "included as it is"),
                          (BLACK_OUT, "blacked out")):
        number = counted.count(choice)
        if number:
            plural = "included as they are" if choice == INCLUDE and number > 1 else words
            parts.append(f"{number} {plural}")
    return ", ".join(parts)


# -- words ---------------------------------------------------------------------------------
_KIND_REASONS = {
    "US": "Ultrasound machines often write the name and the date into the picture.",
    "SC": "Screen captures often show the name and the date.",
    "OT": "Pictures of this kind often have writing in them.",
    "XC": "Photos may show a name tag, a label or a wristband.",
}


def plain_reason(image: ReviewImage) -> str:
    """Why a picture is in the review, for a patient: one sentence, no codes."""
    if "marked as having burned-in" in image.reason:
        return "The file itself says that the picture has writing in it."
    if "secondary capture" in image.reason:
        return _KIND_REASONS["SC"]
    return _KIND_REASONS.get(image.modality.upper(),
                             "Pictures of this kind often have writing in them.")


def review_intro(count: int) -> str:
    """The sentence above the review list."""
    pictures = "1 picture" if count == 1 else f"{count} pictures"
    return (f"{pictures} may have writing in the image itself, such as a name or a date of "
            "birth. Taking the name out of the file does not remove that writing, so choose "
            f"what the copy gets{' for each picture' if count > 1 else ''}.")


def places_words(count: int) -> str:
    """"1 place", "3 places"."""
    return "1 place" if count == 1 else f"{count} places"
