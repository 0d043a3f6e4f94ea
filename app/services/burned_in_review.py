"""Which images of a library study may carry text burned into their pixels: the list the
GUI shows before a de-identified copy is made, so the user can leave them out, include
them on purpose, or draw a black-out rule for their kind and size.

Each file is read up to its pixel data (the pixels themselves are not loaded). An image
is listed for the same reasons the de-identification leaves it out
(``app.deidentify.burned_in``); ``has_rule`` says a saved black-out rule will be applied
to it instead.
"""

from dataclasses import dataclass
from pathlib import Path

from pydicom import dcmread

from app.core.dicom_values import to_int, to_text
from app.deidentify.blackout import BlackoutRule, rule_for
from app.deidentify.burned_in import burned_in_reason
from app.library.library import Library

# Larger values (the pixels above all) are left on the disk while the header is read.
_DEFER = 4096


@dataclass(frozen=True)
class BurnedInImage:
    """One image that may show burned-in text (a name, a date, an ID drawn into it).

    ``reason`` is a short phrase without any identifier ("it is a US image, a kind that
    often has text drawn in"); ``modality``, ``rows`` and ``columns`` are what a black-out
    rule is keyed by; ``file`` is the stored file (to show it; never change it)."""

    study_instance_uid: str
    series_instance_uid: str
    sop_instance_uid: str
    modality: str
    rows: int
    columns: int
    frames: int
    series_number: int | None
    instance_number: int | None
    reason: str
    has_rule: bool
    file: Path

    @property
    def size(self) -> str:
        """ "640 x 480" (columns x rows, as image sizes are said)."""
        return f"{self.columns} x {self.rows}"

    @property
    def label(self) -> str:
        """ "US image 3 of series 2, 640 x 480": enough to find it, nothing about anyone."""
        text = f"{self.modality or 'Unknown kind of'} image"
        if self.instance_number is not None:
            text += f" {self.instance_number}"
        if self.series_number is not None:
            text += f" of series {self.series_number}"
        return f"{text}, {self.size}"

    @property
    def sentence(self) -> str:
        """The reason as a sentence: "It may show text in its pixels: it is ..."."""
        if self.has_rule:
            return (f"It may show text in its pixels ({self.reason}); the saved black-out "
                    f"rule for {self.modality} {self.size} will be applied.")
        return f"It may show text in its pixels: {self.reason}."


def burned_in_images(library: Library, study_uid: str,
                     rules: list[BlackoutRule]) -> list[BurnedInImage]:
    """The images of ``study_uid`` in ``library`` that may carry burned-in text, in the
    order a copy lists them. Files that cannot be read are not listed (an export leaves
    them out with its own warning)."""
    refs = {ref.sop_instance_uid: ref for ref in library.study_instances(study_uid)}
    found = []
    for stored in library.study_files(study_uid):
        path = library.store.path(stored.file)
        try:
            ds = dcmread(path, force=True, defer_size=_DEFER)
            reason = burned_in_reason(ds)
        except Exception:  # pydicom raises many types for a damaged file.
            continue
        if reason is None:
            continue
        ref = refs.get(stored.sop_instance_uid)
        modality = to_text(ds.get("Modality", "")).upper() or (ref.modality if ref else "")
        found.append(BurnedInImage(
            study_instance_uid=study_uid,
            series_instance_uid=ref.series_instance_uid if ref else "",
            sop_instance_uid=stored.sop_instance_uid,
            modality=modality,
            rows=to_int(ds.get("Rows")) or 0,
            columns=to_int(ds.get("Columns")) or 0,
            frames=max(to_int(ds.get("NumberOfFrames")) or 1, 1),
            series_number=ref.series_number if ref else None,
            instance_number=ref.instance_number if ref else None,
            reason=reason,
            has_rule=rule_for(ds, rules) is not None,
            file=path,
        ))
    return found
