"""Background jobs: what the GUI hears, and when, for a job that ends, fails or is cancelled."""

import threading
from collections.abc import Iterator

from pytestqt.qtbot import QtBot

from app.core.errors import LibraryError
from app.gui.tasks import GeneratorTask, start_task

TIMEOUT = 10_000


def test_a_cancelled_job_cleans_up_before_the_cancel_is_announced(qtbot: QtBot) -> None:
    cleaned: list[bool] = []
    going = threading.Event()
    proceed = threading.Event()

    def job() -> Iterator[int]:
        try:
            yield 1
            going.set()
            proceed.wait(5)
            yield 2
            yield 3
        finally:
            cleaned.append(True)  # e.g. an import's last commit and its lock released

    task = GeneratorTask(job, lambda item: item == 3)
    heard: list[bool] = []
    task.signals.cancelled.connect(lambda: heard.append(bool(cleaned)))
    with qtbot.waitSignal(task.signals.ended, timeout=TIMEOUT):
        start_task(task)
        assert going.wait(5)
        task.cancel()
        proceed.set()
    assert heard == [True]


def test_a_plain_iterator_job_can_be_cancelled_too(qtbot: QtBot) -> None:
    task = GeneratorTask(lambda: iter([1, 2, 3]), lambda item: item == 3)
    task.cancel()
    with qtbot.waitSignals([task.signals.cancelled, task.signals.ended], timeout=TIMEOUT):
        start_task(task)


def test_a_failing_job_says_its_sentence(qtbot: QtBot) -> None:
    def job() -> Iterator[int]:
        yield 1
        raise LibraryError("The library is busy importing; delete the study when the "
                           "import has finished.")

    task = GeneratorTask(job, lambda item: item == 99)
    with qtbot.waitSignal(task.signals.failed, timeout=TIMEOUT) as failed:
        start_task(task)
    assert failed.args == ["The library is busy importing; delete the study when the "
                           "import has finished."]
