"""The background loader: reads and decodes off the UI thread, most wanted first.

The viewer says what it wants in order (the current slice, then its neighbours in the
scroll direction); each call replaces the previous wish list, so a fast scroll never
queues work for slices already passed. Background jobs (thumbnails, the rest of the
series) run when nothing in the foreground is waiting. One worker thread: media are
read in sequence, which is what a CD wants and what pycdlib's shared file handle needs.
"""

import contextlib
import threading
from collections.abc import Callable, Hashable
from typing import Any

from PySide6.QtCore import QObject, Signal

from app.core.errors import LightboxError

Job = tuple[Hashable, Callable[[], Any]]


class BackgroundLoader(QObject):
    """Runs jobs on one worker thread; results come back as signals on the UI thread."""

    loaded = Signal(object, object)  # key, result
    failed = Signal(object, str)  # key, one plain sentence

    def __init__(self, is_done: Callable[[Hashable], bool]) -> None:
        super().__init__()
        self._is_done = is_done
        self._urgent: list[Job] = []
        self._foreground: list[Job] = []
        self._background: list[Job] = []
        self._failures: set[Hashable] = set()
        self._in_flight: Hashable | None = None
        self._stopping = False
        self._wake = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="lightbox-loader", daemon=True)
        self._thread.start()

    def want(self, jobs: list[Job]) -> None:
        """Replace the foreground wish list (highest priority first); an empty list
        only drops the old wishes, without waking the worker."""
        with self._wake:
            self._foreground = list(jobs)
            if jobs:
                self._wake.notify()

    def add_urgent(self, job: Job) -> None:
        """Run ``job`` next, before the wish list (a user asked for it: tags, a report)."""
        with self._wake:
            self._urgent.append(job)
            self._wake.notify()

    def add_background(self, jobs: list[Job]) -> None:
        """Queue jobs to run when the foreground is idle."""
        with self._wake:
            self._background.extend(jobs)
            self._wake.notify()

    def clear(self) -> None:
        """Drop every waiting job (a new medium was opened)."""
        with self._wake:
            self._urgent.clear()
            self._foreground.clear()
            self._background.clear()
            self._failures.clear()

    def stop(self) -> None:
        """End the worker thread after its current job."""
        with self._wake:
            self._stopping = True
            self._wake.notify()
        self._thread.join(timeout=5)

    @property
    def idle(self) -> bool:
        """True when nothing is running or waiting."""
        with self._wake:
            return self._in_flight is None and self._next_job() is None

    def _next_job(self) -> Job | None:
        for queue in (self._urgent, self._foreground, self._background):
            while queue:
                key = queue[0][0]
                if key in self._failures or self._is_done(key):
                    queue.pop(0)
                    continue
                return queue.pop(0)
        return None

    def _run(self) -> None:
        while True:
            with self._wake:
                job = self._next_job()
                while job is None and not self._stopping:
                    self._wake.wait()
                    job = self._next_job()
                if self._stopping:
                    return
                assert job is not None
                self._in_flight = job[0]
            key, fn = job
            try:
                result = fn()
            except LightboxError as exc:
                self._fail(key, str(exc))
            except BaseException as exc:
                # Anything else, even a BaseException from a native decoder (a Rust panic),
                # is this job's failure: the worker thread must outlive every job.
                self._fail(key, f"This image could not be shown ({type(exc).__name__}: {exc}).")
            else:
                try:
                    self.loaded.emit(key, result)
                except RuntimeError:
                    return  # The viewer is gone (closed while this job ran).
            finally:
                with self._wake:
                    self._in_flight = None

    def _fail(self, key: Hashable, message: str) -> None:
        with self._wake:
            self._failures.add(key)
        with contextlib.suppress(RuntimeError):  # The viewer is gone (closed meanwhile).
            self.failed.emit(key, message)
