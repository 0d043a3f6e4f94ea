"""The loader's worker thread outlives every job, even one raising a BaseException."""

from pytestqt.qtbot import QtBot

from app.gui.loader import BackgroundLoader


class PanicException(BaseException):
    """Stands in for pyo3's PanicException (a BaseException)."""


def test_worker_survives_a_base_exception(qtbot: QtBot) -> None:
    loader = BackgroundLoader(lambda key: False)
    failed: list[tuple[object, str]] = []
    loaded: list[tuple[object, object]] = []
    loader.failed.connect(lambda key, message: failed.append((key, message)))
    loader.loaded.connect(lambda key, result: loaded.append((key, result)))

    def panic() -> None:
        raise PanicException("capacity overflow")

    try:
        loader.add_urgent(("bad", panic))
        loader.add_urgent(("good", lambda: 42))
        qtbot.waitUntil(lambda: bool(loaded), timeout=3000)
    finally:
        loader.stop()
    assert loaded == [("good", 42)]
    assert failed and failed[0][0] == "bad" and "PanicException" in failed[0][1]
