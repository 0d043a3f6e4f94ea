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


def verify_library(library: Library) -> Iterator[VerifyProgress | VerifyReport]:
    """Re-hash every stored file; yield progress, then the report."""
    stored = list(library.stored_instances())
    problems = []
    for done, instance in enumerate(stored, start=1):
        digest = library.store.hash_file(instance.file)
        if digest is None:
            problems.append(VerifyProblem(instance.sop_instance_uid, instance.file, "missing"))
        elif digest != instance.sha256:
            problems.append(VerifyProblem(instance.sop_instance_uid, instance.file, "changed"))
        yield VerifyProgress(done, len(stored))
    yield VerifyReport(len(stored), tuple(problems))
