"""Everything a medium's directory files say, before any image file is read.

:func:`read_directories` reads each DICOMDIR (and the Philips-style DIRFILEs its records
point to), resolves every Referenced File ID safely against the medium's listing, and
returns which files are referenced and what is missing or points outside the medium.

:func:`plan_medium` is the one place that decides which files a medium holds: the files
its directories list, the files they do not list, and the files never read as images
(the directory files themselves). ``scan``, the importer, the viewer and the quick tree
all read a medium through it, so they can never disagree about what is on it.
:func:`quick_tree` turns the plan into the study tree the viewer shows at once.
"""

import posixpath
from dataclasses import dataclass, field

from app.core.dicom_values import frame_count, person_name, to_int
from app.core.errors import MediaError
from app.core.models import InstanceRef, PatientNode, Problem, build_tree
from app.media.dicomdir import (
    MAX_DIRECTORY_BYTES,
    DirectoryFile,
    DirectoryParseError,
    DirectoryReference,
    iter_references,
    parse_directory,
)
from app.media.fileids import FileIdResolver
from app.media.sources import MediaEntry, MediaSource, OpenedMedium, is_directory_name

# Philips nests DIRFILEs two levels deep; anything much deeper is a loop or an attack.
MAX_DIRECTORY_NESTING = 8
# Philips DIRFILEs hold one study each, a few hundred KB at most; 64 MB of them together
# would list some 250,000 images. A disc whose records name huge (often sparse) files as
# nested directories would otherwise have each read and walked up to 256 MB apiece.
MAX_NESTED_DIRECTORY_BYTES = 64 * 1024 * 1024
NESTED_LIMIT_DETAIL = (
    "Lightbox did not read this nested directory file: with the others before it, it "
    "passes 64 MB, far more than any real disc's, so its files are read one by one."
)

OUTSIDE_DETAIL = "It points outside the disc, so Lightbox did not open it."
MISSING_DETAIL = "The DICOMDIR lists this file, but it is not on the disc."


def unreadable_folder_detail(reason: str) -> str:
    """The problem sentence of a folder of the medium that could not be listed."""
    return f"This folder could not be read ({reason}); the images in it are not included."


def in_unreadable_folder_detail(reason: str) -> str:
    """The problem sentence of a listed file inside a folder that could not be listed."""
    return (f"The DICOMDIR lists this file, but its folder could not be read ({reason}); "
            "it is not included.")


@dataclass
class DirectoryScan:
    """What the directory files of a medium say.

    ``referenced`` maps media paths of referenced files to their records; ``not_found``
    the paths of listed files that are missing or lead outside the medium to theirs;
    ``read`` lists the directory files that were parsed; ``notes`` what looked odd in them.
    """

    referenced: dict[str, DirectoryReference] = field(default_factory=dict)
    # Listed files that are not there (or lead off the medium): what their records said.
    not_found: dict[str, DirectoryReference] = field(default_factory=dict)
    read: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def directory_starts(medium: OpenedMedium, entries: list[MediaEntry]) -> list[MediaEntry]:
    """The directory files to begin with: the one the user named, or all found by name."""
    if medium.directory is not None:
        return [e for e in entries if e.path == medium.directory]
    return [e for e in entries if is_directory_name(e.path) and not e.outside]


def read_directories(
    source: MediaSource, starts: list[MediaEntry], resolver: FileIdResolver
) -> DirectoryScan:
    """Read each directory file and the DIRFILEs it nests; resolve every reference.

    File IDs are relative to the folder of the directory file that starts the chain
    (its File-set root); nested DIRFILEs use the same root, as Philips writes them.
    """
    scan = DirectoryScan()
    pending: list[tuple[MediaEntry, str, DirectoryReference | None, int]] = [
        (entry, posixpath.dirname(entry.path), None, 0) for entry in reversed(starts)
    ]
    visited: set[str] = set()
    nested_bytes = 0
    while pending:
        entry, base_dir, via, depth = pending.pop()
        if entry.path in visited:
            continue
        visited.add(entry.path)
        if via is not None:
            nested_bytes += entry.size
            if nested_bytes > MAX_NESTED_DIRECTORY_BYTES:
                scan.problems.append(Problem(entry.path, "unreadable", NESTED_LIMIT_DETAIL))
                continue
        try:
            directory = _parse(source, entry)
        except MediaError as exc:
            scan.problems.append(Problem(
                entry.path, "unreadable",
                f"The DICOMDIR could not be read: {exc} The disc was searched file by file.",
            ))
            continue
        except OSError as exc:
            reason = exc.strerror or str(exc)
            scan.problems.append(
                Problem(entry.path, "unreadable", f"The DICOMDIR could not be read ({reason}).")
            )
            continue
        except DirectoryParseError as exc:
            if via is not None:
                # A record that looked like a pointer to a DIRFILE named an ordinary file.
                scan.referenced.setdefault(entry.path, via)
            else:
                scan.problems.append(
                    Problem(
                        entry.path,
                        "unreadable",
                        f"The DICOMDIR is damaged ({exc}); the disc was searched file by file.",
                    )
                )
            continue
        scan.read.append(entry.path)
        scan.notes.extend(f"{entry.path}: {warning}" for warning in directory.warnings)
        if directory.truncated:
            scan.problems.append(Problem(entry.path, "unreadable", directory.truncated))
        for reference in iter_references(directory.roots, via.context if via else None):
            resolution = resolver.resolve(reference.file_id, base_dir)
            if resolution.status == "outside":
                scan.problems.append(Problem(resolution.path, "outside-media", OUTSIDE_DETAIL))
                if not reference.is_directory:
                    scan.not_found.setdefault(resolution.path, reference)
            elif resolution.status == "missing":
                scan.problems.append(Problem(resolution.path, "missing", MISSING_DETAIL))
                if not reference.is_directory:
                    scan.not_found.setdefault(resolution.path, reference)
            elif reference.is_directory and resolution.entry is not None:
                if depth < MAX_DIRECTORY_NESTING:
                    pending.append((resolution.entry, base_dir, reference, depth + 1))
            else:
                scan.referenced.setdefault(resolution.path, reference)
    return scan


def _parse(source: MediaSource, entry: MediaEntry) -> DirectoryFile:
    with source.open(entry) as stream:
        # The listed size bounds the read: no huge buffer for a small DICOMDIR.
        data = stream.read(min(entry.size, MAX_DIRECTORY_BYTES) + 1)
    return parse_directory(data)


def instance_from_reference(path: str, reference: DirectoryReference) -> InstanceRef:
    """What a directory record (with its ancestors) says about the instance at ``path``."""
    c = reference.context
    return InstanceRef(
        path=path,
        sop_instance_uid=c.get("ref_sop_instance_uid", ""),
        sop_class_uid=c.get("ref_sop_class_uid", ""),
        transfer_syntax_uid=c.get("ref_transfer_syntax_uid", ""),
        patient_id=c.get("patient_id", ""),
        patient_name=person_name(c.get("patient_name", "")),
        patient_birth_date=c.get("patient_birth_date", ""),
        patient_sex=c.get("patient_sex", ""),
        study_instance_uid=c.get("study_instance_uid", ""),
        study_date=c.get("study_date", ""),
        study_description=c.get("study_description", ""),
        series_instance_uid=c.get("series_instance_uid", ""),
        modality=c.get("modality", ""),
        series_number=to_int(c.get("series_number", "")),
        series_description=c.get("series_description", ""),
        instance_number=to_int(c.get("instance_number", "")),
        number_of_frames=frame_count(c.get("number_of_frames", "")),
    )


def is_placeable(ref: InstanceRef) -> bool:
    """True when a directory record alone says where its image belongs in the tree.

    A record without its study or series UID, or without any patient (an IMAGE record
    with no PATIENT parent, as some discs write), would make a phantom patient or series;
    such files are identified from their own headers instead. A missing SOP Instance UID
    (Philips DIRFILEs leave it out) does not stop placing: the file is still the one
    listed there, and its own header gives the UID when it is read.
    """
    return bool(
        ref.study_instance_uid
        and ref.series_instance_uid
        and (ref.patient_id or ref.patient_name)
    )


@dataclass
class MediumPlan:
    """Which files a medium holds, decided once for scan, the importer and the viewer.

    ``files`` are the files to read, in the order they lie on the medium: every file
    except the directory files already read (``skipped``). It includes files that lead
    outside the medium; they are never opened, only reported (``reported_outside`` are
    those the directories already reported). A file in ``files`` is *listed* when a
    directory record names it, else *unlisted*.
    """

    directories: DirectoryScan
    files: list[MediaEntry]
    reported_outside: set[str]
    skipped: tuple[str, ...] = ()
    # Folders that could not be listed (media path -> reason); also in the problems.
    unreadable_folders: dict[str, str] = field(default_factory=dict)

    def is_listed(self, path: str) -> bool:
        """True when a directory record names the file at ``path``."""
        return path in self.directories.referenced

    @property
    def listed_count(self) -> int:
        """How many image files the directories list, present or not."""
        return len(self.directories.referenced) + len(self.directories.not_found)

    def quick_instances(self) -> tuple[list[InstanceRef], list[MediaEntry]]:
        """What the directories alone place in the tree, and the files left to identify.

        The first list holds the instances of listed files whose records are complete
        (:func:`is_placeable`); the second every other file on the medium whose header
        must be read to know what it is (unlisted files, and listed ones whose records
        say too little), in physical order. Files outside the medium are in neither.
        """
        placed: list[InstanceRef] = []
        placed_paths: set[str] = set()
        for path, reference in self.directories.referenced.items():
            ref = instance_from_reference(path, reference)
            if is_placeable(ref):
                placed.append(ref)
                placed_paths.add(path)
        to_identify = [e for e in self.files if not e.outside and e.path not in placed_paths]
        return placed, to_identify


def plan_medium(medium: OpenedMedium) -> MediumPlan:
    """Read the directory files of ``medium`` and decide what else there is to read."""
    entries = medium.source.entries()
    starts = directory_starts(medium, entries)
    directories = read_directories(medium.source, starts, FileIdResolver(entries))
    skip = set(directories.read) | {e.path for e in starts}
    outside = {p.path for p in directories.problems if p.problem == "outside-media"}
    unreadable = medium.source.unreadable_folders()
    if unreadable:
        _blame_unreadable_folders(directories, unreadable)
    return MediumPlan(
        directories,
        [e for e in entries if e.path not in skip],
        outside,
        tuple(e.path for e in entries if e.path in skip),
        unreadable,
    )


def _blame_unreadable_folders(directories: DirectoryScan, unreadable: dict[str, str]) -> None:
    """One problem per folder that could not be listed; a listed file inside one is
    unreadable, not missing: it may well be on the disc."""

    def folder_of(path: str) -> str | None:
        for folder in unreadable:
            if folder == "/" or path.startswith(folder + "/"):
                return folder
        return None

    problems: list[Problem] = [
        Problem(folder, "unreadable", unreadable_folder_detail(reason))
        for folder, reason in sorted(unreadable.items())
    ]
    for problem in directories.problems:
        folder = folder_of(problem.path) if problem.problem == "missing" else None
        if folder is not None:
            problem = Problem(problem.path, "unreadable",
                              in_unreadable_folder_detail(unreadable[folder]))
        problems.append(problem)
    directories.problems[:] = problems


def quick_tree(medium: OpenedMedium) -> tuple[tuple[PatientNode, ...], DirectoryScan]:
    """The study tree from the directory files alone: what the viewer shows first.

    Only directory files are read. Instances whose files are missing are left out (and
    listed as problems), and so are those whose records say too little to place them
    (:func:`is_placeable`). Returns an empty tree when the medium has no directory file.
    """
    plan = plan_medium(medium)
    placed, _to_identify = plan.quick_instances()
    return build_tree(placed), plan.directories
