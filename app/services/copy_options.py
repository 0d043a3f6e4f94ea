"""What the user chooses for a copy without their name (no DICOM inside: the CLI's parser
and the GUI's dialogs build it before anything heavy is loaded)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class DeidentifyOptions:
    """What the user chose for a de-identified copy.

    ``patient_name`` and ``patient_id`` are the pseudonyms the copy carries (None or blank:
    "Anonymous^CODE" and "ANON-CODE", CODE the same for one patient on every copy from one
    library); ``include_burned_in`` keeps images that may show text burned into their
    pixels (and have no black-out rule) as they are, instead of leaving them out.

    ``exclude_images`` and ``include_images`` (SOP Instance UIDs in the library) are what
    the user chose image by image after looking at them: left out even where a black-out
    rule would apply, or included exactly as they are (no rule applied).
    """

    patient_name: str | None = None
    patient_id: str | None = None
    include_burned_in: bool = False
    exclude_images: frozenset[str] = frozenset()
    include_images: frozenset[str] = frozenset()


# How a share of a de-identified copy is recorded (LibraryService.record_share's ``how``).
COPY_WITHOUT_NAME = "copy without name"
