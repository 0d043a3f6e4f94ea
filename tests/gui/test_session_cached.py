"""Scrolling through frames already decoded asks the loader for nothing: no job is
queued (and the loader thread is not woken) for a frame in the cache."""

from pathlib import Path

from pytestqt.qtbot import QtBot

from app.core.models import InstanceRef
from app.gui.loader import Job
from app.gui.session import ViewerSession
from app.imaging.frame_cache import FrameCache
from app.imaging.slices import Slice


def _slices(count: int) -> list[Slice]:
    return [Slice(InstanceRef(path=f"f{i}", sop_instance_uid=f"1.{i}")) for i in range(count)]


def test_cached_frames_are_not_queued(qtbot: QtBot, tmp_path: Path) -> None:
    cache: FrameCache[tuple[str, int], object] = FrameCache(lambda _v: 1, 100)
    session = ViewerSession(tmp_path, cache)  # type: ignore[arg-type]
    try:
        qtbot.waitUntil(lambda: session.loader.idle, timeout=5000)  # the "open" job
        wanted: list[list[Job]] = []
        background: list[list[Job]] = []
        real_want = session.loader.want
        session.loader.want = lambda jobs: (wanted.append(jobs), real_want(jobs))[1]
        session.loader.add_background = background.append
        slices = _slices(4)
        for item in slices[:3]:
            cache.put(item.key, object())

        session.want_frames(slices)
        session.prefetch_frames(slices)
        session.want_frames(slices[:3])
        session.prefetch_frames(slices[:3])

        assert [[job[0] for job in jobs] for jobs in wanted] == [[("frame", "f3", 0)], []]
        assert [[job[0] for job in jobs] for jobs in background] == [[("frame", "f3", 0)]]
    finally:
        session.close()
