"""Export studies from the library as standard DICOM media: a folder, a ZIP file or an ISO
image that any viewer opens through its DICOMDIR.

The job reads each stored file once: its header to place it (``app.exporting``), then its
bytes into the copy unchanged. With a ``transform`` (the de-identification engine plugs in
here) each data set is read whole, handed to the transform, and what comes back is written
instead; the library's files are never changed. The copy appears under its name only when
it is whole; a cancel, a full disk or an unwritable place leaves nothing behind.

The transform seam: ``transform(ds)`` receives a data set read from the library (pixels
included) that it may change in place or replace, and returns the data set to write, or
None to leave the instance out (a warning says so). It may raise
:class:`~app.core.errors.ExcludedFromExport` to leave it out with its own sentence. Any
other exception also leaves the instance out (the original is never written instead). The
caller says whether the result is de-identified (``deidentified``): the report, and so
``export --json``, carries it.
"""

import os
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from pydicom import dcmread
from pydicom.dataset import Dataset

from app.core.dicom_values import dataset_text
from app.core.errors import ExcludedFromExport, ExportError, LibraryError
from app.core.progress import duration, megabytes_per_second, seconds_left
from app.exporting.dicomdir import DicomdirBuilder
from app.exporting.meta import encoded, media_prefix, read_header, transfer_syntax_of
from app.exporting.target import FORMATS, Format, check_room, check_target, write_error
from app.exporting.writer import MediaWriter, SourceReadError, open_writer
from app.library.library import Library, StoredInstance
from app.services.reconciling import LocalIdentity

__all__ = ["FORMATS", "ExportProgress", "ExportReport", "ExportWarning", "ExportedStudy",
           "Format", "Transform", "describe_export", "export_studies", "format_for"]

Transform = Callable[[Dataset], Dataset | None]
"""Changes one data set for the copy, or returns None to leave it out (see above)."""

LEFT_OUT = "The transform applied to this copy left it out."
MISSING = ("Its file in the library is missing or changed, so it was left out; run "
           "'lightbox library verify', then import its disc again.")


def format_for(out: Path) -> Format:
    """The format a path asks for by its name: ``.zip`` and ``.iso`` files, else a
    folder."""
    suffix = out.suffix.lower()
    return "zip" if suffix == ".zip" else "iso" if suffix == ".iso" else "folder"


@dataclass(frozen=True)
class ExportProgress:
    """Where an export is: instances looked at, bytes written, and the phase (copying the
    files, or packing: writing the ISO image)."""

    done: int
    total: int
    bytes_done: int
    bytes_total: int
    elapsed: float
    phase: Literal["copying", "packing"] = "copying"

    @property
    def megabytes_per_second(self) -> float:
        """Writing speed so far."""
        return megabytes_per_second(self.bytes_done, self.elapsed)

    @property
    def eta_seconds(self) -> float | None:
        """Seconds left at the speed so far; None before there is a speed."""
        return seconds_left(self.bytes_done, self.bytes_total, self.elapsed)


def describe_export(progress: ExportProgress) -> str:
    """Progress in plain words: "120/380 images, 45.2 MB/s, 0:03 left"."""
    if progress.phase == "packing":
        share = 100 * progress.bytes_done // max(1, progress.bytes_total)
        return f"writing the ISO image, {share}%"
    text = f"{progress.done}/{progress.total} images, {progress.megabytes_per_second:.1f} MB/s"
    eta = progress.eta_seconds
    if eta is not None and progress.done < progress.total:
        text += f", {duration(eta)} left"
    return text


@dataclass(frozen=True)
class ExportWarning:
    """Something the person exporting must know: mostly an instance left out, and why."""

    message: str
    study_instance_uid: str = ""
    sop_instance_uid: str = ""


@dataclass(frozen=True)
class ExportedStudy:
    """One study of the copy: its UID in the library, its UID in the copy (different when
    a transform changed it; "" when nothing of it was written), and what was written."""

    study_instance_uid: str
    exported_as: str
    series: int
    instances: int
    left_out: int


@dataclass(frozen=True)
class ExportReport:
    """The finished copy: where it is, what it holds, and what went wrong on the way.

    ``notes`` say what the DICOMDIR had to make up or the files had to gain for standard
    media (a missing Study ID, a File Meta header); they are not problems.
    """

    out: str
    format: Format
    studies: tuple[ExportedStudy, ...]
    instances: int
    bytes: int
    deidentified: bool
    warnings: tuple[ExportWarning, ...]
    notes: tuple[str, ...] = ()
    identity: LocalIdentity | None = None


@dataclass
class _StudyTally:
    uid: str
    exported_as: str = ""
    series: set[str] = field(default_factory=set)
    instances: int = 0
    left_out: int = 0


def export_studies(
    study_uids: list[str], out: Path, format: Format, library: Library,
    transform: Transform | None = None, *, deidentified: bool = False,
    identity: LocalIdentity | None = None,
) -> Iterator[ExportProgress | ExportReport]:
    """Write ``study_uids`` from ``library`` as standard media at ``out``.

    Yields an ExportProgress per instance (and while an ISO image is written), then the
    ExportReport. Raises, before writing anything: LibraryError for a study the library
    does not hold; ExportError when ``out`` is taken (a non-empty folder, an existing
    file), its folder is missing, or the disk is clearly too small. Raises ExportError
    when the disk fills up or refuses a write on the way; the partial copy is removed.
    Stop iterating (close the generator) to cancel: the partial copy is removed.
    ``identity`` is the local patient the transform put into the copy
    (services.reconciling), for the report.
    """
    uids = list(dict.fromkeys(study_uids))
    stored: dict[str, list[StoredInstance]] = {}
    for uid in uids:
        if not library.study_exists(uid):
            raise LibraryError(f"There is no study {uid} in the library.")
        stored[uid] = library.study_files(uid)
    target = check_target(out, format)
    check_room(target, sum(i.size for files in stored.values() for i in files))

    writer = open_writer(target)
    try:
        report = yield from _write(writer, stored, library, transform, deidentified)
        report = replace(report, identity=identity)
    except SourceReadError as exc:
        writer.abort()
        raise ExportError(
            f"An image could not be read from the library ({exc.error.strerror or exc.error});"
            " run 'lightbox library verify' and export again."
        ) from exc
    except OSError as exc:
        writer.abort()
        raise write_error(exc, target) from exc
    except BaseException:
        writer.abort()  # Also on GeneratorExit: a cancelled copy leaves nothing behind.
        raise
    yield report


def _write(
    writer: MediaWriter, stored: dict[str, list[StoredInstance]], library: Library,
    transform: Transform | None, deidentified: bool,
) -> Generator[ExportProgress, None, ExportReport]:
    """Copy every instance, then finish the copy; returns the report."""
    started = time.monotonic()
    total = sum(len(files) for files in stored.values())
    bytes_total = sum(i.size for files in stored.values() for i in files)
    builder = DicomdirBuilder()
    warnings: list[ExportWarning] = []
    tallies = {uid: _StudyTally(uid) for uid in stored}
    done = written = bytes_done = headers_added = 0

    for study_uid, files in stored.items():
        tally = tallies[study_uid]
        for instance in files:
            done += 1
            outcome = _copy_one(writer, builder, library, instance, transform)
            if isinstance(outcome, str):
                tally.left_out += 1
                warnings.append(ExportWarning(outcome, study_uid, instance.sop_instance_uid))
            else:
                size, ds, header_added = outcome
                written += 1
                bytes_done += size
                headers_added += header_added
                tally.instances += 1
                tally.exported_as = tally.exported_as or dataset_text(ds, "StudyInstanceUID")
                tally.series.add(dataset_text(ds, "SeriesInstanceUID"))
            yield ExportProgress(done, total, bytes_done, bytes_total,
                                 time.monotonic() - started)

    if written == 0:
        first = f"; the first one: {warnings[0].message}" if warnings else "."
        raise ExportError(f"None of the {total} images could be put in the copy, so nothing "
                          f"was written{first}")
    for packed, size in writer.finish(builder.encode()):
        yield ExportProgress(done, total, packed, size, time.monotonic() - started, "packing")

    notes = builder.notes()
    if headers_added:
        notes.append(f"{headers_added} file{'s' if headers_added != 1 else ''} had no File "
                     "Meta Information header, which standard media require: the copy "
                     "puts one in front of the unchanged data.")
    return ExportReport(
        out=str(writer.target.out),
        format=writer.target.format,
        studies=tuple(
            ExportedStudy(t.uid, t.exported_as, len(t.series), t.instances, t.left_out)
            for t in tallies.values()
        ),
        instances=written,
        bytes=bytes_done,
        deidentified=deidentified,
        warnings=tuple(warnings),
        notes=tuple(notes),
    )


def _copy_one(
    writer: MediaWriter, builder: DicomdirBuilder, library: Library,
    instance: StoredInstance, transform: Transform | None,
) -> tuple[int, Dataset, bool] | str:
    """Put one stored instance into the copy: (bytes written, the data set as written,
    whether a File Meta header was added), or the sentence saying why it was left out."""
    path = library.store.path(instance.file)
    try:
        if transform is None:
            size, head, ds = read_header(path)
        else:
            size, ds = os.stat(path).st_size, dcmread(path, force=True)
    except FileNotFoundError:
        return MISSING
    except Exception as exc:  # pydicom raises many types for a damaged file.
        return (f"Its file in the library could not be read ({type(exc).__name__}), so it "
                "was left out; run 'lightbox library verify'.")
    if size != instance.size:
        return MISSING
    syntax = transfer_syntax_of(ds)

    if transform is not None:
        result = _transformed(ds, transform)
        if isinstance(result, str):
            return result
        # The transform may have changed the encoding (a black-out decodes compressed
        # pixels and writes them uncompressed): the copy says what it holds.
        result_syntax = transfer_syntax_of(result)
        try:
            data = encoded(result, result_syntax)
        except Exception as exc:  # pydicom refuses a value the transform set
            return (f"It could not be written after being prepared for this copy "
                    f"({type(exc).__name__}), so it was left out.")
        placement = _place(builder, result, result_syntax)
        if isinstance(placement, str):
            return placement
        return writer.add_bytes(placement, data), result, False

    prefix = media_prefix(head, ds)
    placement = _place(builder, ds, syntax)
    if isinstance(placement, str):
        return placement
    return writer.add_file(placement, path, size, prefix), ds, bool(prefix)


def _transformed(ds: Dataset, transform: Transform) -> Dataset | str:
    try:
        result = transform(ds)
    except ExcludedFromExport as exc:
        return str(exc) or LEFT_OUT
    except Exception as exc:
        # The exception's text may quote the data set (names): only its type is shown.
        return (f"It could not be prepared for this copy ({type(exc).__name__}), so it was "
                "left out.")
    return LEFT_OUT if result is None else result


def _place(builder: DicomdirBuilder, ds: Dataset, syntax: str) -> tuple[str, ...] | str:
    try:
        return builder.place(ds, syntax).file_id
    except (ValueError, KeyError, AttributeError, TypeError) as exc:
        # pydicom's recorders name the attribute, never its value.
        return f"It cannot be listed in a DICOMDIR ({exc}), so it was left out."
