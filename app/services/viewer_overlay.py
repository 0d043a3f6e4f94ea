"""The four corners of a viewer's image, and the privacy notice, from its model's state."""

from dataclasses import replace
from typing import TYPE_CHECKING

from app.core.models import InstanceRef
from app.imaging.luts import LookupTable
from app.imaging.render import GreyFrame
from app.services.privacy import BURNED_IN_NOTICE, may_show_name_in_pixels
from app.services.viewer_text import (
    Overlay,
    display_date,
    display_name,
    display_text,
    modality_words,
)

if TYPE_CHECKING:
    from app.services.viewer_model import ViewerModel


def overlay_of(model: "ViewerModel", text: bool | None = None) -> Overlay:
    """The corner text for the current position (empty when switched off), and the
    burned-in-name notice when privacy is on and the picture may show the name.

    ``text`` True or False overrides the on-screen switch (a saved picture asks for it).
    """
    if model.slices is None:
        return Overlay()
    current = model.slices.current
    ref = current.instance
    if model.frame_is_current() and model.loaded is not None:
        # The header of the image on screen knows more than a DICOMDIR record.
        ref = _merged(model.loaded.instance, ref)
    burned_in = model.loaded.burned_in_annotation if model.loaded else ""
    notice = ""
    if model.privacy.hidden and may_show_name_in_pixels(ref.modality or model.modality(),
                                                       burned_in):
        notice = BURNED_IN_NOTICE
    if not (model.overlay_visible if text is None else text):
        return Overlay(notice=notice)
    show = model.privacy.show
    unnamed = "(no name)" if ref.patient_id else "Not linked to a patient"
    top_left = [show(display_name(ref.patient_name)) or unnamed]
    if ref.patient_id:
        top_left.append(f"ID {show(ref.patient_id)}")
    if ref.patient_birth_date:
        top_left.append(f"Born {show(display_date(ref.patient_birth_date))}")
    series = model.slices.series
    number = ref.series_number if ref.series_number is not None else series.series_number
    what = [str(number)] if number is not None else []
    what += [w for w in (modality_words(ref.modality or series.modality),
                         ref.series_description or series.series_description) if w]
    top_right = [f"{display_date(ref.study_date)}  {ref.study_description}".strip(),
                 " · ".join(what)]
    position = f"Image {model.slices.index + 1} / {len(model.slices)}"
    if ref.number_of_frames > 1 or current.frame:
        position += f"  (frame {current.frame + 1})"
    # Window values and zoom are for doctors (app.services.user_mode); where the picture
    # is in the series, and how it was turned, are for everyone.
    technical = model.full_detail
    bottom_left = [position, *(_window_text(model) if technical else [])]
    bottom_right = [f"Zoom {model.effective_zoom() * 100:.0f}%"] if technical else []
    turns = [f"rotated {model.state.rotation}°"] if model.state.rotation else []
    if model.state.flip_h or model.state.flip_v:
        turns.append("flipped")
    if model.state.invert:
        turns.append("inverted")
    if turns:
        bottom_right.append(", ".join(turns))
    return Overlay(tuple(display_text(t) for t in top_left if t),
                   tuple(display_text(t) for t in top_right if t),
                   tuple(bottom_left), tuple(bottom_right), notice)


def _window_text(model: "ViewerModel") -> list[str]:
    frame = model.loaded.frame if model.loaded is not None else None
    if not isinstance(frame, GreyFrame):
        return []
    resolved = frame.resolve(model.state.voi)
    if isinstance(resolved, LookupTable):
        return ["VOI LUT from the file"]
    return [f"C {resolved.center:.0f}  W {resolved.width:.0f}"]


def _merged(header: InstanceRef, record: InstanceRef) -> InstanceRef:
    """``header`` with its empty fields taken from ``record``."""
    updates = {name: getattr(record, name) for name in (
        "patient_id", "patient_name", "patient_birth_date", "patient_sex", "study_date",
        "study_description",
        "modality", "series_number", "series_description",
    ) if getattr(header, name) in ("", None) and getattr(record, name) not in ("", None)}
    return replace(header, **updates) if updates else header
