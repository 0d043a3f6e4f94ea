"""`library verify`: every stored file present and matching the hash recorded at import."""

from collections.abc import Iterator
from dataclasses import dataclass

from app.library.library import Library


@dataclass(frozen=True)
class VerifyProgress:
    """Files checked so far."""

    done: int
    total: int


@dataclass(frozen=True)
class VerifyProblem:
    """A stored instance whose file is missing or changed."""

    sop_instance_uid: str
    file: str
    problem: str  # "missing" or "changed"


@dataclass(frozen=True)
class VerifyReport:
    """How many files were checked and which are not as recorded."""

    checked: int
    problems: tuple[VerifyProblem, ...]
    # The media (as imported from) the images with problems came from.
    sources: tuple[str, ...] = ()


def verify_library(library: Library) -> Iterator[VerifyProgress | VerifyReport]:
    """Re-hash every stored file; yield progress, then the report.

    The instances found missing or changed are noted in the library (replacing what the
    last check noted), so that importing their disc again restores them.
    """
    stored = list(library.stored_instances())
    problems = []
    for done, instance in enumerate(stored, start=1):
        digest = library.store.hash_file(instance.file)
        if digest is None:
            problems.append(VerifyProblem(instance.sop_instance_uid, instance.file, "missing"))
        elif digest != instance.sha256:
            problems.append(VerifyProblem(instance.sop_instance_uid, instance.file, "changed"))
        yield VerifyProgress(done, len(stored))
    uids = [p.sop_instance_uid for p in problems]
    # Remembered so that the next import of their disc hashes and restores these copies.
    library.note_damaged(uids)
    yield VerifyReport(len(stored), tuple(problems), tuple(library.source_labels(uids)))
