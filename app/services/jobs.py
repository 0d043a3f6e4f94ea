"""Run a long job (a generator that yields progress and ends with its report) to its end.

Every long job in :mod:`app.services` has the same shape: progress items, then one report.
The CLI drives them with :func:`run_to_report` and a progress printer; the GUI drives the
same generators on a worker thread (``app.gui.tasks``).
"""

from collections.abc import Callable, Iterator
from typing import TypeVar

P = TypeVar("P")
R = TypeVar("R")


def run_to_report(
    job: Iterator[P | R], report_type: type[R], on_progress: Callable[[P], None] | None = None
) -> R:
    """Iterate ``job`` until it yields an instance of ``report_type`` and return that.

    Every other item goes to ``on_progress``. The job is closed in all cases, so its own
    clean-up (locks, open media) runs now. A job that ends without a report is a bug:
    RuntimeError.
    """
    try:
        for item in job:
            if isinstance(item, report_type):
                return item
            if on_progress is not None:
                on_progress(item)  # type: ignore[arg-type]
    finally:
        close = getattr(job, "close", None)
        if close is not None:
            close()
    raise RuntimeError(f"the job ended without its {report_type.__name__}")
