"""Scrolling through a series: positions, wrapping, frame expansion, prefetch order."""

from app.core.models import InstanceRef, SeriesNode
from app.imaging.slices import SeriesSlices


def _series(*frames: int) -> SeriesNode:
    refs = tuple(
        InstanceRef(path=f"IM{i}", sop_instance_uid=f"1.{i}", number_of_frames=n)
        for i, n in enumerate(frames)
    )
    return SeriesNode("1.2", "CT", 1, "", refs)


def test_multiframe_instances_scroll_like_a_series() -> None:
    slices = SeriesSlices(_series(1, 3, 1))
    assert [s.key for s in slices.slices] == [
        ("IM0", 0), ("IM1", 0), ("IM1", 1), ("IM1", 2), ("IM2", 0)
    ]


def test_moves_are_clamped_and_cine_wraps() -> None:
    slices = SeriesSlices(_series(1, 1, 1))
    assert not slices.step(-1)
    assert slices.move_to(99) and slices.index == 2
    assert slices.step(1, wrap=True) and slices.index == 0


def test_expanding_frames_keeps_the_current_slice() -> None:
    slices = SeriesSlices(_series(1, 1, 1))
    slices.move_to(2)
    assert slices.set_frame_count("IM1", 4)
    assert len(slices) == 6
    assert slices.current.key == ("IM2", 0)
    assert not slices.set_frame_count("IM1", 4)


def test_neighbours_ahead_first_then_a_few_behind() -> None:
    slices = SeriesSlices(_series(*[1] * 20))
    slices.move_to(10)
    order = [s.instance.path for s in slices.neighbours(-1, 4)]
    assert order == ["IM9", "IM8", "IM7", "IM6", "IM11"]
