"""Run service work off the UI thread; hand its results back as signals.

Worker code never touches widgets: each ``yield`` of a generator becomes a ``progressed``
signal, the last value a ``finished`` signal, an exception a ``failed`` signal with one
sentence. Cancelling sets a flag that the worker checks between yields. One-shot calls
(load the study list, delete a study, test a login) go through :func:`run_in_background`.
"""

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from app.core.errors import LightboxError

T = TypeVar("T")

# Told (on the worker thread) of each exception a job raised that is not a LightboxError:
# a bug, which the crash handler (app.gui.crash_dialog) logs and shows. None: nobody.
_unexpected_error_handler: Callable[[BaseException], None] | None = None


def set_unexpected_error_handler(
    handler: Callable[[BaseException], None] | None,
) -> Callable[[BaseException], None] | None:
    """Install ``handler`` for jobs' unexpected exceptions; returns the previous one."""
    global _unexpected_error_handler
    previous, _unexpected_error_handler = _unexpected_error_handler, handler
    return previous


def _report_unexpected(exc: BaseException) -> None:
    handler = _unexpected_error_handler
    if handler is None:
        return
    with contextlib.suppress(Exception):  # Reporting a bug must not hide the failure.
        handler(exc)


class TaskSignals(QObject):
    progressed = Signal(object)
    finished = Signal(object)
    failed = Signal(str)
    cancelled = Signal()
    ended = Signal()  # Always last, whatever happened.


class GeneratorTask(QRunnable):
    """Drives ``make_job()`` to its end on a pool thread.

    ``is_result`` tells the final item apart from progress items.
    """

    def __init__(
        self, make_job: Callable[[], Iterator[Any]], is_result: Callable[[Any], bool]
    ) -> None:
        super().__init__()
        self.signals = TaskSignals()
        self._make_job = make_job
        self._is_result = is_result
        self._cancelled = threading.Event()
        self.setAutoDelete(False)  # Python owns it: the caller keeps a reference.

    def cancel(self) -> None:
        self._cancelled.set()

    def run(self) -> None:
        job: Iterator[Any] | None = None
        try:
            job = self._make_job()
            for item in job:
                if self._cancelled.is_set():
                    # The job's own clean-up (an import commits what it stored, then
                    # releases the library) is done before anyone is told it stopped.
                    _close(job)
                    self.signals.cancelled.emit()
                    return
                if self._is_result(item):
                    self.signals.finished.emit(item)
                    return
                self.signals.progressed.emit(item)
        except LightboxError as exc:
            self.signals.failed.emit(str(exc))
        except Exception as exc:
            _report_unexpected(exc)
            self.signals.failed.emit(f"Something went wrong: {type(exc).__name__}: {exc}.")
        finally:
            # Close the job here, on this thread: its own clean-up (locks, open media)
            # runs now, not whenever the garbage collector gets to it.
            _close(job)
            self.signals.ended.emit()


def _close(job: Iterator[Any] | None) -> None:
    """Close a generator job (closing twice is harmless); plain iterators have nothing."""
    close = getattr(job, "close", None)
    if close is not None:
        close()


# Tasks stay referenced here until they end: Python must not free a task the pool runs.
_RUNNING: set[GeneratorTask] = set()


def start_task(task: GeneratorTask) -> GeneratorTask:
    """Queue ``task`` on the global thread pool; it is kept alive until it has ended."""
    _RUNNING.add(task)
    task.signals.ended.connect(lambda: _RUNNING.discard(task))
    QThreadPool.globalInstance().start(task)
    return task


def run_in_background(
    work: Callable[[], T],
    done: Callable[[T], None],
    failed: Callable[[str], None] | None = None,
) -> GeneratorTask:
    """Call ``work()`` on the thread pool; ``done(result)`` or ``failed(sentence)`` runs
    back on the GUI thread. Keep the returned task to :meth:`GeneratorTask.cancel` it
    (``done`` is then never called)."""

    def job() -> Iterator[T]:
        yield work()

    task = GeneratorTask(job, lambda _item: True)
    task.signals.finished.connect(done)
    if failed is not None:
        task.signals.failed.connect(failed)
    return start_task(task)
