"""The side list of a study's measurements, without Qt.

A :class:`MeasurementList` follows one :class:`AnnotationDocument` (or none): one row per
measuring annotation (``annotation_values.measurement_row``), in the order of
``measurement_rows`` (series number, instance number, frame, then drawing order). When
the document changes only the annotations that changed are measured again; an undo
brings back an annotation equal to one measured before, so its row is reused. An image
that cannot be read costs its own row a sentence, never the whole list.

The clipboard text and the CSV file carry the same columns and the same numbers
(``to_csv``); the clipboard's is tab-separated so it pastes into a spreadsheet's cells.
"""

import csv
import io
from collections.abc import Callable, Iterable
from pathlib import Path

from app.core.errors import LightboxError
from app.core.models import PatientNode
from app.core.observable import Event
from app.services.annotation_values import (
    ImageNotReadYet,
    ImageSource,
    MeasurementRow,
    measurement_row,
    to_csv,
)
from app.services.annotations import (
    MEASUREMENTS,
    UNDO_LIMIT,
    Annotation,
    AnnotationDocument,
    Change,
)
from app.services.image_export import write_atomically

UNREADABLE = "The image of this measurement could not be read."
NOT_READ = "Image not read"  # where, for a measurement whose image could not be read
READING = "Reading the image of this measurement..."
READING_WHERE = "Reading..."  # where, while its image is read in the background
EMPTY_TEXT = ("No measurements yet. Choose a tool in the Measure menu and draw on the "
              "image.")
_LAST = 1 << 62  # an image without a number sorts last


def where_text(row: MeasurementRow) -> str:
    """Where a measurement is, in plain words: "Series 3, image 12" (", frame 2" on a
    multi-frame image)."""
    label = row.image_label
    return label[:1].upper() + label[1:]


KIND_WORDS = {"length": "Length", "angle": "Angle", "rectangle": "Rectangle",
              "ellipse": "Ellipse", "freehand": "Outline"}


def what_text(row: MeasurementRow) -> str:
    """What was measured, in a word: "Length", "Ellipse", "Outline"."""
    return KIND_WORDS.get(row.kind, row.kind.capitalize())


def copied_sentence(count: int) -> str:
    """What the status bar says after Copy."""
    what = "1 measurement" if count == 1 else f"{count} measurements"
    return f"Copied {what}; paste them into a spreadsheet or an email."


def saved_sentence(count: int, path: Path) -> str:
    """What the status bar says after saving the CSV file."""
    what = "1 measurement" if count == 1 else f"{count} measurements"
    return f"Saved {what} to {path}."


def not_open_sentence() -> str:
    """What the status bar says when a measurement's image is not open in the viewer."""
    return "The image of this measurement is not open in the viewer."


def unreadable_row(annotation: Annotation, sentence: str) -> MeasurementRow:
    """The row of a measurement whose image could not be read: no numbers, the
    ``sentence`` as its text (and warning), still in the list and the CSV."""
    return MeasurementRow(
        annotation.id, annotation.kind, None, None, annotation.frame, 1, None, "", None, "",
        None, None, None, None, "", sentence, (sentence,), annotation.sop_instance_uid,
    )


def _sort_key(row: MeasurementRow) -> tuple[int, int, int]:
    return (_LAST if row.series_number is None else row.series_number,
            _LAST if row.instance_number is None else row.instance_number, row.frame)


def clipboard_text(rows: Iterable[MeasurementRow]) -> str:
    """The rows as tab-separated text with a header row: the CSV's columns and numbers."""
    lines = []
    for cells in csv.reader(io.StringIO(to_csv(rows), newline="")):
        # A tab or line break inside a cell would split it in the spreadsheet.
        lines.append("\t".join(" ".join(cell.split()) for cell in cells))
    return "\n".join(lines) + "\n"


def csv_file_name(study_date: str) -> str:
    """The name to suggest for the CSV file: "measurements-2024-03-12.csv" from a DICOM
    date (YYYYMMDD); "measurements.csv" without one. Never the patient's name."""
    digits = study_date.strip()
    if len(digits) == 8 and digits.isdigit():
        return f"measurements-{digits[:4]}-{digits[4:6]}-{digits[6:]}.csv"
    return "measurements.csv"


def study_date_of(patients: Iterable[PatientNode], study_uid: str) -> str:
    """The study date (YYYYMMDD as stored) of the study ``study_uid`` in a tree; ""."""
    for patient in patients:
        for study in patient.studies:
            if study.study_instance_uid == study_uid:
                return study.study_date
    return ""


def save_csv(path: Path, rows: Iterable[MeasurementRow]) -> None:
    """Write the rows as a CSV file at ``path``, whole or not at all. UTF-8 with a byte
    order mark, so a spreadsheet shows "mm²" and "°" as they are. Raises a LightboxError
    with one sentence when the place cannot be written (read-only, full, missing)."""
    write_atomically(path, to_csv(rows).encode("utf-8-sig"))


class MeasurementList:
    """The measurements of one document, kept up to date; see the module docstring.

    ``rows_changed`` is emitted with the new rows whenever they change (a new document,
    an annotation added, changed, deleted, undone or redone); ``selection_changed`` with
    the selected annotation's id ("" for none).
    """

    def __init__(self, document: AnnotationDocument | None = None,
                 images: ImageSource | None = None) -> None:
        self.document: AnnotationDocument | None = None
        self.images: ImageSource | None = None
        self.rows: tuple[MeasurementRow, ...] = ()
        self.selected = ""
        self.rows_changed: Event[tuple[MeasurementRow, ...]] = Event()
        self.selection_changed: Event[str] = Event()
        self._measured: dict[Annotation, MeasurementRow] = {}
        self._past: dict[Annotation, MeasurementRow] = {}  # rows of annotations gone
        self._unreadable: set[str] = set()  # annotation ids whose image was not read
        self._waiting: set[str] = set()  # ids whose image is being read in the background
        self._stop: Callable[[], None] | None = None
        # Where the viewer counts an image in its series: (position, count), so the list
        # says "image 3 of 40" as the viewer does; None: by its Instance Number.
        self.position: Callable[[str, int], tuple[int, int] | None] | None = None
        if document is not None:
            self.set_document(document, images)

    def set_document(self, document: AnnotationDocument | None,
                     images: ImageSource | None = None) -> None:
        """Follow ``document`` (None: an empty list), reading images through ``images``
        (without it every measurement's image counts as unreadable)."""
        if self._stop is not None:
            self._stop()
            self._stop = None
        self.document = document
        self.images = images
        self._measured = {}
        self._past = {}
        self._unreadable = set()
        self._waiting = set()
        if document is not None:
            self._stop = document.changed.connect(self._on_changed)
        self._refresh()

    def close(self) -> None:
        """Stop following the document (the list is being dropped)."""
        self.set_document(None)

    def images_arrived(self) -> None:
        """Images the source was reading in the background have come: the rows waiting
        for them are measured again."""
        if not self._waiting:
            return
        waiting = self._waiting
        self._measured = {a: r for a, r in self._measured.items() if a.id not in waiting}
        self._refresh()

    def _on_changed(self, change: Change) -> None:
        if change.what in ("add", "change", "delete"):
            self._refresh()

    def _refresh(self) -> None:
        annotations = self.document.annotations if self.document is not None else ()
        measured: dict[Annotation, MeasurementRow] = {}
        for annotation in annotations:
            if annotation.kind not in MEASUREMENTS:
                continue
            row = self._measured.get(annotation) or self._past.pop(annotation, None)
            measured[annotation] = row if row is not None else self._measure(annotation)
        for annotation, row in self._measured.items():
            # Kept for an undo or redo that brings it back; an unreadable one is read again.
            if annotation not in measured and annotation.id not in self._unreadable:
                self._past[annotation] = row
        while len(self._past) > UNDO_LIMIT:
            del self._past[next(iter(self._past))]  # the oldest first
        self._measured = measured
        self._unreadable &= {a.id for a in measured}
        self._waiting &= {a.id for a in measured}
        rows = tuple(sorted(measured.values(), key=_sort_key))  # stable: drawing order
        if self.selected and all(r.annotation_id != self.selected for r in rows):
            self.selected = ""
            self.selection_changed.emit("")
        if rows != self.rows:
            self.rows = rows
            self.rows_changed.emit(rows)

    def _measure(self, annotation: Annotation) -> MeasurementRow:
        self._unreadable.discard(annotation.id)
        self._waiting.discard(annotation.id)
        sentence = UNREADABLE
        if self.images is not None:
            try:
                header, values = self.images(annotation.sop_instance_uid, annotation.frame)
                row = measurement_row(annotation, header, values)
            except ImageNotReadYet:
                # Not kept for an undo (``_unreadable``): measured again when it comes.
                self._waiting.add(annotation.id)
                self._unreadable.add(annotation.id)
                return unreadable_row(annotation, READING)
            except LightboxError as exc:  # DecodeError, LibraryError: plain sentences
                sentence = str(exc) or UNREADABLE
            except OSError:
                pass
            else:
                assert row is not None  # a measuring kind always has a row
                return row
        self._unreadable.add(annotation.id)
        return unreadable_row(annotation, sentence)

    # -- reading ---------------------------------------------------------------------
    def row(self, annotation_id: str) -> MeasurementRow | None:
        """The row of this annotation; None when it is not in the list."""
        return next((r for r in self.rows if r.annotation_id == annotation_id), None)

    def where(self, row: MeasurementRow) -> str:
        """Where the row's measurement is ("Series 3, image 12, frame 2"), or
        "Image not read" when its image could not be read ("Reading..." while it is
        read in the background)."""
        if row.annotation_id in self._waiting:
            return READING_WHERE
        if row.annotation_id in self._unreadable:
            return NOT_READ
        found = self.position(row.sop_instance_uid, row.frame) if self.position else None
        if found is None:
            return where_text(row)
        series = "Series ?" if row.series_number is None else f"Series {row.series_number}"
        return f"{series}, image {found[0]} of {found[1]}"

    def selected_row(self) -> MeasurementRow | None:
        """The selected row, or None."""
        return self.row(self.selected) if self.selected else None

    def select(self, annotation_id: str) -> bool:
        """Select the row of this annotation ("" selects none); False when there is no
        such row (the selection stays)."""
        if annotation_id and self.row(annotation_id) is None:
            return False
        if annotation_id != self.selected:
            self.selected = annotation_id
            self.selection_changed.emit(annotation_id)
        return True

    def clipboard_text(self) -> str:
        """Every row as tab-separated text with a header row (see ``clipboard_text``)."""
        return clipboard_text(self.rows)

    def csv_text(self) -> str:
        """Every row as CSV text (``to_csv``)."""
        return to_csv(self.rows)

    @property
    def empty_text(self) -> str:
        """What the list says when it has no rows."""
        return EMPTY_TEXT
