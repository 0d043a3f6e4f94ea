"""Saving the annotations of an open study as a presentation state (GSPS).

The viewer holds :class:`~app.imaging.presentation_state.ImageAnnotations` for the images
the user marked; this reads those images' headers from the open medium or library study
and writes the GSPS beside whatever the user chose. Reading one for drawing is
:meth:`app.services.viewing.MediumReader.presentation_state`; which ones a study holds is
:func:`app.services.viewer_text.presentation_states`.
"""

from collections.abc import Sequence
from pathlib import Path

from pydicom.uid import generate_uid

from app.core.errors import PresentationStateError
from app.core.models import InstanceRef
from app.imaging.gsps_writer import DEFAULT_LABEL, write_gsps
from app.imaging.presentation_state import ImageAnnotations
from app.services.viewing import MediumReader


def save_presentation_state(
    reader: MediumReader,
    instances: Sequence[InstanceRef],
    annotations: Sequence[ImageAnnotations],
    out_path: Path,
    *,
    label: str = DEFAULT_LABEL,
    description: str = "",
    creator: str = "",
) -> Path:
    """Write ``annotations`` (graphics, notes, windows) as a new GSPS at ``out_path``.

    ``instances`` are the open study's instances (the annotated ones are looked up there
    by SOP Instance UID); the state gets fresh UIDs and the series number after the
    study's last. Runs on the viewer's loader thread (it reads headers through
    ``reader``). Raises PresentationStateError (one sentence) when there is nothing to
    save, the images span studies, or the file cannot be written.
    """
    if not annotations:
        raise PresentationStateError("There are no annotations to save.")
    by_uid = {ref.sop_instance_uid: ref for ref in instances}
    wanted = list(dict.fromkeys(a.image.sop_instance_uid for a in annotations))
    if any(uid not in by_uid for uid in wanted):
        raise PresentationStateError("Some annotated images are no longer open.")
    refs = [by_uid[uid] for uid in wanted]
    study = refs[0].study_instance_uid
    if any(ref.study_instance_uid != study for ref in refs):
        raise PresentationStateError(
            "A presentation state covers one study; save each study's annotations apart."
        )
    numbers = [ref.series_number for ref in instances
               if ref.study_instance_uid == study and ref.series_number is not None]
    headers = [reader.dataset(ref.path) for ref in refs]
    return write_gsps(
        headers, annotations, out_path,
        series_instance_uid=generate_uid(prefix=None),
        sop_instance_uid=generate_uid(prefix=None),
        label=label, description=description, creator=creator,
        series_number=max(numbers, default=0) + 1,
    )
