"""Synthetic sample discs for the demo, the tests and the benchmarks."""

from collections.abc import Callable
from pathlib import Path

from app.core.errors import UsageError
from app.samples.disc_writer import SUPPORTED_TRANSFER_SYNTAXES, SampleDiscSummary
from app.samples.disc_writer import write_sample_disc as _write_sample_disc

__all__ = ["SampleDiscSummary", "transfer_syntax_names", "write_sample_disc"]


def transfer_syntax_names() -> list[str]:
    """The short names ``write_sample_disc`` accepts for ``transfer_syntax``."""
    return list(SUPPORTED_TRANSFER_SYNTAXES)


def write_sample_disc(
    out: Path, slices: int, transfer_syntax: str = "explicit",
    progress: Callable[[int, int], None] | None = None,
) -> SampleDiscSummary:
    """Write a sample disc into ``out`` (see ``app.samples.disc_writer``); UsageError, in one
    sentence, for a bad argument (unknown syntax, a folder that is not empty...)."""
    try:
        return _write_sample_disc(out, slices=slices, transfer_syntax=transfer_syntax,
                                  progress=progress)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
