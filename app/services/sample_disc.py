"""Synthetic sample discs for the demo, the tests and the benchmarks."""

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

from app.core.errors import UsageError
from app.samples.disc_writer import SUPPORTED_TRANSFER_SYNTAXES, SampleDiscSummary, SamplePatient
from app.samples.disc_writer import write_sample_disc as _write_sample_disc

__all__ = ["SampleDiscSummary", "SamplePatient", "transfer_syntax_names", "write_sample_disc"]


def transfer_syntax_names() -> list[str]:
    """The short names ``write_sample_disc`` accepts for ``transfer_syntax``."""
    return list(SUPPORTED_TRANSFER_SYNTAXES)


def write_sample_disc(
    out: Path, slices: int, transfer_syntax: str = "explicit",
    progress: Callable[[int, int], None] | None = None,
    patient: SamplePatient | None = None, study_date: str | None = None,
) -> SampleDiscSummary:
    """Write a sample disc into ``out`` (see ``app.samples.disc_writer``); UsageError, in one
    sentence, for a bad argument (unknown syntax, a folder that is not empty...).

    ``patient`` says who the disc is of (default: the made-up sample patient) and
    ``study_date`` (YYYYMMDD) the day of its study (default: today), so that discs of
    one patient from different days can be written."""
    try:
        return _write_sample_disc(out, slices=slices, transfer_syntax=transfer_syntax,
                                  progress=progress, patient=patient,
                                  study_date=_study_date(study_date))
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _study_date(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return datetime.strptime(text.strip(), "%Y%m%d").date()
    except ValueError:
        raise UsageError(f"The study date must be YYYYMMDD, such as 20240312, not "
                         f"{text!r}.") from None
