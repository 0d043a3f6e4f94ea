"""What the viewer reads from one medium, each piece as a small job for its loader thread.

Opening is quick: the directory files give the study tree before any image file is read.
Files the directories do not list are identified one by one afterwards, so the first
image is never held up by a full scan. Frames are decoded one at a time.

A :class:`MediumReader` is used from one thread only (the viewer's loader): media are read
in sequence, as a CD wants and as pycdlib's shared file handle requires.
"""

from collections import OrderedDict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO

import numpy as np
from PIL import Image
from pydicom import dcmread
from pydicom.dataset import Dataset

from app.core.errors import MediaError, PresentationStateError
from app.core.models import InstanceRef, PatientNode, Problem, build_tree
from app.imaging.decode import DicomImage, open_image
from app.imaging.documents import document_kind, pdf_bytes, sr_text
from app.imaging.orientation import image_orientation
from app.imaging.presentation_state import PresentationState, read_gsps
from app.imaging.render import PreparedFrame, prepare_frame, render
from app.media.directories import plan_medium
from app.media.headers import instance_from_dataset
from app.media.sources import ListedFolderSource, MediaEntry, OpenedMedium, open_medium
from app.services.scan import contents_differ, judge_file, listed_file_problem, read_entry

# Multi-frame files are decoded frame by frame: keep a few open instead of re-reading
# their headers for every frame.
OPEN_IMAGES = 4


@dataclass(frozen=True)
class OpenedDisc:
    """The first look at a medium: the tree its directories give, and what to read next.

    ``listed`` are the instances known at once: those the directory files place in the
    tree (their files exist), or the one file opened on its own; ``unlisted`` the other
    files, in physical order, still to be identified (also listed files whose records
    say too little to place them). ``problems`` are what is already known to be wrong,
    in the words ``lightbox scan`` uses.
    """

    label: str
    listed: tuple[InstanceRef, ...]
    problems: tuple[Problem, ...]
    unlisted: tuple[str, ...]
    has_directory: bool
    listed_count: int = 0  # images the directory files list (found or not)


@dataclass(frozen=True)
class LoadedFrame:
    """A decoded, prepared frame, how many frames its file holds, and what its header
    says (which is more than a DICOMDIR record: series descriptions, birth dates)."""

    frame: PreparedFrame
    frames_in_file: int
    instance: InstanceRef
    burned_in_annotation: str = ""  # (0028,0301): "YES" when the pixels carry text
    image_orientation: tuple[float, ...] | None = None  # row then column cosines

    @property
    def nbytes(self) -> int:
        """Memory held, for the frame cache."""
        return self.frame.nbytes


@dataclass(frozen=True)
class Document:
    """A report: ``kind`` ``sr`` with ``text``, or ``pdf`` with ``data``."""

    kind: str
    text: str = ""
    data: bytes = b""


class MediumReader:
    """Reads one medium for the viewer. Not thread-safe: one loader thread uses it.

    ``known`` instances (from the library's index) are shown as they are: their files are
    opened by path under ``path`` and nothing else there is read or listed.
    """

    def __init__(self, path: Path, known: tuple[InstanceRef, ...] = ()) -> None:
        self.path = path
        self._known = known
        self._medium: OpenedMedium | None = None
        self._entries: dict[str, MediaEntry] = {}
        # SOP Instance UIDs of identified files and where first seen: copies are counted once.
        self._first_copy: dict[str, str] = {}
        self._open: OrderedDict[str, tuple[IO[bytes], DicomImage]] = OrderedDict()

    @property
    def is_library(self) -> bool:
        """True when this reads studies of the library, not a disc."""
        return bool(self._known)

    def open(self) -> OpenedDisc:
        """Open the medium and read its directory files (no image file is read).

        Raises SourceUnreadableError when the medium cannot be read at all.
        """
        if self._known:
            source = ListedFolderSource(self.path, [ref.path for ref in self._known])
            self._medium = OpenedMedium(source)
            self._entries = {e.path: e for e in source.entries()}
            return OpenedDisc(str(self.path), self._known, (), (), has_directory=True)
        medium = open_medium(self.path)
        self._medium = medium
        plan = plan_medium(medium)
        self._entries = {e.path: e for e in medium.source.entries()}
        placed, to_identify = plan.quick_instances()
        problems = list(plan.directories.problems)
        if len(to_identify) == 1 and not plan.directories.read and not placed:
            # One file opened on its own: reading its header now costs nothing, and a
            # damaged file is then told in the very sentence `lightbox scan` uses.
            entry = to_identify[0]
            instance = judge_file(entry, read_entry(medium.source, entry), None, {}, problems)
            placed = [instance] if instance is not None else []
            to_identify = []
        return OpenedDisc(
            label=str(self.path),
            listed=tuple(placed),
            problems=tuple(problems),
            unlisted=tuple(e.path for e in to_identify),
            has_directory=bool(plan.directories.read),
            listed_count=plan.listed_count,
        )

    def _entry(self, path: str) -> MediaEntry:
        entry = self._entries.get(path)
        if entry is None or self._medium is None:
            raise MediaError(f"{path} is not on this disc.")
        return entry

    def _stream(self, path: str) -> IO[bytes]:
        assert self._medium is not None
        return self._medium.source.open(self._entry(path))

    def identify(self, path: str) -> InstanceRef | Problem | None:
        """Read one file the directories do not list: the instance it holds, what is wrong
        with it (damaged, unsupported: judged as ``scan`` judges it), or None for files
        that are no images and need no word (viewer programs, autorun files)."""
        entry = self._entry(path)
        assert self._medium is not None  # _entry raises without one
        problems: list[Problem] = []
        instance = judge_file(entry, read_entry(self._medium.source, entry), None,
                              self._first_copy, problems, contents_differ(self._medium.source))
        if instance is not None:
            return instance
        return problems[0] if problems else None

    def judge_listed(self, path: str) -> Problem | None:
        """What is wrong with a file the disc's directory lists, once its image could not
        be shown: read and judged as ``scan`` judges it (not DICOM, damaged, a format no
        decoder here can show), or None when its header shows nothing wrong."""
        entry = self._entry(path)
        assert self._medium is not None  # _entry raises without one
        return listed_file_problem(path, read_entry(self._medium.source, entry))

    def _image(self, path: str) -> DicomImage:
        held = self._open.get(path)
        if held is not None:
            self._open.move_to_end(path)
            return held[1]
        stream = self._stream(path)
        try:
            image = open_image(stream)
        except BaseException:
            stream.close()
            raise
        self._open[path] = (stream, image)
        while len(self._open) > OPEN_IMAGES:
            _, (old_stream, _old) = self._open.popitem(last=False)
            old_stream.close()
        return image

    def load_frame(self, path: str, frame: int) -> LoadedFrame:
        """Decode frame ``frame`` of the file at ``path`` and prepare it for drawing.

        Raises DecodeError (one sentence) when it cannot be decoded.
        """
        image = self._image(path)
        return LoadedFrame(
            prepare_frame(image, frame),
            image.number_of_frames,
            instance_from_dataset(image.header, path),
            str(image.header.get("BurnedInAnnotation", "") or ""),
            image_orientation(image.header, frame),
        )

    def thumbnail(self, path: str, frame: int, size: int) -> tuple[np.ndarray, InstanceRef]:
        """A small picture of one frame in its default window, at most ``size`` a side,
        and what the file's header says about the instance."""
        loaded = self.load_frame(path, frame)
        prepared = loaded.frame
        rows, columns = prepared.shape
        step = max(1, min(rows, columns) // (size * 2))
        pixels = render(prepared, step=step)
        picture = Image.fromarray(pixels)
        picture.thumbnail((size, size), Image.Resampling.BILINEAR)
        return np.asarray(picture), loaded.instance

    def dataset(self, path: str) -> Dataset:
        """The header of the file at ``path`` (everything before the pixel data)."""
        with self._stream(path) as stream:
            return dcmread(stream, stop_before_pixels=True, force=True)

    def document(self, path: str, sop_class_uid: str, modality: str) -> Document:
        """The report held by the file at ``path``: SR as text, PDF as bytes."""
        kind = document_kind(sop_class_uid, modality)
        with self._stream(path) as stream:
            ds = dcmread(stream, force=True)
        if kind == "pdf":
            return Document("pdf", data=pdf_bytes(ds))
        return Document("sr", text=sr_text(ds))

    def presentation_state(self, path: str) -> PresentationState:
        """The presentation state (GSPS) in the file at ``path``, read for drawing.

        Raises PresentationStateError (one sentence) when the file is damaged or holds
        no presentation state; MediaError when the medium cannot deliver it.
        """
        with self._stream(path) as stream:
            try:
                ds = dcmread(stream, stop_before_pixels=True, force=True)
            except MediaError:
                raise
            except Exception as exc:  # pydicom raises many kinds for a damaged file
                raise PresentationStateError(
                    "The presentation state file is damaged and cannot be read."
                ) from exc
        return read_gsps(ds)

    def close(self) -> None:
        """Close every open file and the medium."""
        for stream, _ in self._open.values():
            stream.close()
        self._open.clear()
        if self._medium is not None:
            self._medium.source.close()
            self._medium = None


def tree_of(instances: list[InstanceRef]) -> tuple[PatientNode, ...]:
    """The patient / study / series tree of ``instances`` (one per SOP Instance UID)."""
    seen: set[str] = set()
    unique = []
    for ref in instances:
        if ref.sop_instance_uid and ref.sop_instance_uid in seen:
            continue
        seen.add(ref.sop_instance_uid)
        unique.append(ref)
    return build_tree(unique)


def enrich(instances: list[InstanceRef], header: InstanceRef) -> bool:
    """Fill in what a DICOMDIR record left out (descriptions, birth date) from a header.

    Series-level fields go to every instance of the header's series, study-level fields
    to every instance of its study. Returns True when anything changed.
    """
    changed = False
    for i, ref in enumerate(instances):
        updates: dict[str, object] = {}
        # Empty UIDs say nothing: matching on them would spread one series' or study's
        # description over unrelated images.
        if header.series_instance_uid and ref.series_instance_uid == header.series_instance_uid:
            for name in ("series_description", "modality", "series_number"):
                if not getattr(ref, name) and getattr(header, name):
                    updates[name] = getattr(header, name)
        if header.study_instance_uid and ref.study_instance_uid == header.study_instance_uid:
            for name in ("study_description", "study_date", "patient_birth_date",
                         "patient_sex"):
                if not getattr(ref, name) and getattr(header, name):
                    updates[name] = getattr(header, name)
        if updates:
            instances[i] = replace(ref, **updates)  # type: ignore[arg-type]
            changed = True
    return changed
