"""The disc health report as a job: what a medium holds and everything wrong with it.

``scan_media`` reads every directory file first (they are small), then every other file's
header exactly once, in the order the files lie on the medium. It yields a
:class:`ScanProgress` per file and finally the :class:`ScanReport`; callers may stop
iterating at any time to cancel.
"""

from collections.abc import Callable, Iterator
from pathlib import Path

from app.core.errors import MediaError
from app.core.models import InstanceRef, Problem, ScanProgress, ScanReport, SourceKind, build_tree
from app.imaging.syntaxes import can_decode
from app.media.dicomdir import DirectoryReference
from app.media.directories import OUTSIDE_DETAIL, DirectoryScan, plan_medium
from app.media.headers import HeaderResult, read_header
from app.media.sources import MediaEntry, MediaSource, OpenedMedium, open_medium
from app.services.viewer_text import in_sets_text


def scan_media(path: Path) -> Iterator[ScanProgress | ScanReport]:
    """Scan the medium at ``path``; yield progress per file, then the report.

    Raises :class:`~app.core.errors.SourceUnreadableError` before yielding anything when
    the source cannot be read at all.
    """
    medium = open_medium(path)
    try:
        yield from _scan(medium, str(path))
    finally:
        medium.source.close()


def scan_report(path: Path) -> ScanReport:
    """Run :func:`scan_media` to the end and return only the report."""
    for item in scan_media(path):
        if isinstance(item, ScanReport):
            return item
    raise AssertionError("scan_media always ends with a report")


def _scan(medium: OpenedMedium, label: str) -> Iterator[ScanProgress | ScanReport]:
    source = medium.source
    plan = plan_medium(medium)
    directories = plan.directories
    problems = directories.problems
    to_read = plan.files
    first_copy: dict[str, str] = {}
    differs = contents_differ(source)
    instances: list[InstanceRef] = []
    unreferenced: list[str] = []
    for done, entry in enumerate(to_read, start=1):
        reference = directories.referenced.get(entry.path)
        if entry.outside:
            if entry.path not in plan.reported_outside:  # Referenced ones already were.
                problems.append(Problem(entry.path, "outside-media", OUTSIDE_DETAIL))
        else:
            result = read_entry(source, entry)
            instance = judge_file(entry, result, reference, first_copy, problems, differs)
            if instance is not None:
                instances.append(instance)
                if reference is None and directories.read:
                    unreferenced.append(entry.path)
        yield ScanProgress(done, len(to_read), entry.path)

    yield ScanReport(
        source=label,
        kind=_kind(source, directories),
        patients=build_tree(instances),
        problems=tuple(problems),
        unreferenced=tuple(unreferenced),
        directories=tuple(directories.read),
        files_seen=len(source.entries()),
        notes=tuple(directories.notes),
        listed=plan.listed_count,
    )


def _kind(source: MediaSource, directories: DirectoryScan) -> SourceKind:
    if source.kind == "iso":
        return "iso"
    if source.kind == "zip":
        return "zip"
    return "dicomdir" if directories.read else "scan"


def read_entry(source: MediaSource, entry: MediaEntry) -> HeaderResult:
    """Identify one file of a medium; a read error becomes an ``unreadable`` result."""
    try:
        with source.open(entry) as stream:
            return read_header(stream, entry.size, entry.path, can_decode)
    except MediaError as exc:
        return HeaderResult(problem="unreadable", detail=str(exc))
    except OSError as exc:
        reason = exc.strerror or str(exc)
        return HeaderResult(
            problem="unreadable", detail=f"It could not be read from the disc ({reason})."
        )


def contents_differ(source: MediaSource) -> Callable[[str, MediaEntry], bool]:
    """A test whether the file at a media path and ``entry`` hold different bytes.

    Only asked for files that share a SOP Instance UID, which is rare: sizes decide
    first, else both files are read and compared. A file that cannot be read counts as
    different (it is not known to be a copy).
    """
    by_path: dict[str, MediaEntry] = {}

    def differs(first: str, entry: MediaEntry) -> bool:
        if not by_path:  # Built on the first duplicate only: most media have none.
            by_path.update((e.path, e) for e in source.entries())
        other = by_path.get(first)
        if other is None or other.size != entry.size:
            return True
        try:
            with source.open(other) as a, source.open(entry) as b:
                while True:
                    chunk = a.read(_COMPARE_CHUNK)
                    if chunk != b.read(_COMPARE_CHUNK):
                        return True
                    if not chunk:
                        return False
        except (OSError, MediaError):
            return True

    return differs


_COMPARE_CHUNK = 1 << 20


def judge_file(
    entry: MediaEntry,
    result: HeaderResult,
    reference: DirectoryReference | None,
    first_copy: dict[str, str],
    problems: list[Problem],
    differs: Callable[[str, MediaEntry], bool] | None = None,
) -> InstanceRef | None:
    """Record what is wrong with one file in ``problems``; return its instance when it
    counts (readable, and not another copy of one in ``first_copy``).

    ``reference`` is the directory record naming the file, if any; ``first_copy`` maps
    SOP Instance UIDs already seen to their first path and is updated. ``differs(first,
    entry)`` (see :func:`contents_differ`) tells a true copy from a different file that
    reuses the UID.
    """
    if result.is_directory:
        return None  # Another directory file (e.g. a spare DICOMDIR copy): not an image.
    if result.instance is None:
        # Unlisted junk (autorun, viewers) is normal on discs: only a listed one is wrong.
        if result.problem != "not-dicom" or reference is not None:
            problems.append(_unusable(entry.path, result))
        return None
    instance = result.instance
    listed_uid = reference.context.get("ref_sop_instance_uid", "") if reference else ""
    if listed_uid and listed_uid != instance.sop_instance_uid:
        problems.append(
            Problem(
                entry.path,
                "mismatch",
                f"The DICOMDIR lists image {listed_uid} here, "
                f"but the file holds {instance.sop_instance_uid}.",
            )
        )
    first = first_copy.setdefault(instance.sop_instance_uid, entry.path)
    if first != entry.path:
        if differs is not None and differs(first, entry):
            detail = (f"Another file on this disc ({first}) has the same image UID but "
                      "different contents; only the first is used.")
        else:
            detail = f"This is another copy of {first}; counted once."
        problems.append(Problem(entry.path, "duplicate", detail))
        return None
    if result.problem == "unsupported":
        problems.append(Problem(entry.path, "unsupported", result.detail))
    return instance


def listed_file_problem(path: str, result: HeaderResult) -> Problem | None:
    """What is wrong with a file the disc's directory lists, judged from its header
    ``result`` as :func:`judge_file` judges it: not DICOM, damaged, or in a format no
    installed decoder can show; None when the header shows nothing wrong."""
    if result.is_directory:
        return None
    if result.instance is None:
        return _unusable(path, result)
    if result.problem == "unsupported":
        return Problem(path, "unsupported", result.detail)
    return None


def _unusable(path: str, result: HeaderResult) -> Problem:
    """The problem of a listed file with no usable instance in it."""
    if result.problem == "not-dicom":
        return Problem(path, "not-dicom", _listed_but(result.detail))
    return Problem(path, result.problem or "unreadable", result.detail)


def _listed_but(detail: str) -> str:
    return f"The DICOMDIR lists this file, but it is not a DICOM file. {detail}".strip()


_PROBLEM_PHRASES = {
    "missing": ("referenced file missing", "referenced files missing"),
    "unreadable": ("file damaged or unreadable", "files damaged or unreadable"),
    "not-dicom": ("listed file is not DICOM", "listed files are not DICOM"),
    "outside-media": (
        "reference points outside the disc (not opened)",
        "references point outside the disc (not opened)",
    ),
    "mismatch": ("file differs from its DICOMDIR entry", "files differ from their DICOMDIR entry"),
    "duplicate": ("duplicate copy (counted once)", "duplicate copies (counted once)"),
    "unsupported": (
        "image in a format no installed decoder can show",
        "images in a format no installed decoder can show",
    ),
}


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


# The same problems in the simple view for patients, where the directory's name
# (DICOMDIR) and the format's (DICOM) mean nothing.
_PLAIN_PROBLEM_PHRASES = {
    **_PROBLEM_PHRASES,
    "not-dicom": ("listed file is not a medical picture", "listed files are not medical pictures"),
    "mismatch": ("file differs from what the disc's list of pictures says",
                 "files differ from what the disc's list of pictures says"),
}


def health_summary(report: ScanReport, plain: bool = False) -> str:
    """One line a patient can read: what is on the medium and what is wrong with it.

    For example: "54 images in 2 series; 3 referenced files missing"; ``plain`` (the
    simple view for patients) says "54 pictures in 2 sets; ..." and leaves the format's
    names (DICOM, DICOMDIR) out.
    """
    if report.instances == 0 and not report.problems:
        return "No pictures were found here." if plain else "No DICOM images were found here."
    parts = [in_sets_text(report.instances, report.series_count, plain=plain)]
    counts: dict[str, int] = {}
    for problem in report.problems:
        counts[problem.problem] = counts.get(problem.problem, 0) + 1
    phrases = _PLAIN_PROBLEM_PHRASES if plain else _PROBLEM_PHRASES
    for kind, (one, many) in phrases.items():
        if counts.get(kind):
            parts.append(_plural(counts[kind], one, many))
    if report.unreferenced:
        listed_by = "the disc's list of pictures" if plain else "the DICOMDIR"
        parts.append(
            _plural(
                len(report.unreferenced),
                f"{'picture' if plain else 'image'} found that {listed_by} does not list",
                f"{'pictures' if plain else 'images'} found that {listed_by} does not list",
            )
        )
    if len(parts) == 1:
        parts.append("no problems found")
    return "; ".join(parts)
