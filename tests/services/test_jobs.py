"""`run_to_report`: the one loop that drives a long job to its report."""

from collections.abc import Iterator

import pytest

from app.services.jobs import run_to_report


class Report:
    def __init__(self, value: int) -> None:
        self.value = value


def _job(events: list[str], items: int, report: bool = True) -> Iterator[int | Report]:
    try:
        yield from range(items)
        if report:
            yield Report(items)
            events.append("after the report")  # never reached: the runner closes the job
    finally:
        events.append("cleaned up")


def test_progress_goes_to_the_callback_and_the_report_is_returned() -> None:
    events: list[str] = []
    seen: list[int] = []
    report = run_to_report(_job(events, 3), Report, seen.append)
    assert (report.value, seen, events) == (3, [0, 1, 2], ["cleaned up"])


def test_without_a_callback_progress_is_dropped() -> None:
    events: list[str] = []
    assert run_to_report(_job(events, 2), Report).value == 2
    assert events == ["cleaned up"]


def test_a_failing_callback_still_closes_the_job() -> None:
    """Ctrl-C (or any error) in the progress printer: the job's clean-up runs at once."""
    events: list[str] = []

    def stop(_: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_to_report(_job(events, 5), Report, stop)
    assert events == ["cleaned up"]


def test_a_job_without_a_report_is_a_bug() -> None:
    events: list[str] = []
    with pytest.raises(RuntimeError, match="without its Report"):
        run_to_report(_job(events, 2, report=False), Report)
    assert events == ["cleaned up"]


def test_an_error_in_the_job_reaches_the_caller() -> None:
    def job() -> Iterator[int | Report]:
        yield 1
        raise ValueError("disc gone")

    with pytest.raises(ValueError, match="disc gone"):
        run_to_report(job(), Report)
