"""The slices of a series, as the viewer scrolls through them.

A series is a list of instances; a multi-frame instance contributes one slice per frame,
so an ultrasound loop or an enhanced MR scrolls like any series. Frame counts are often
unknown until a file is opened (a DICOMDIR rarely says), so an instance starts as one
slice and is expanded when its real frame count is known.
"""

from dataclasses import dataclass

from app.core.models import InstanceRef, SeriesNode


@dataclass(frozen=True)
class Slice:
    """One displayable frame: frame ``frame`` (from 0) of ``instance``."""

    instance: InstanceRef
    frame: int = 0

    @property
    def key(self) -> tuple[str, int]:
        """What identifies the frame on the medium: (path, frame)."""
        return (self.instance.path, self.frame)


class SeriesSlices:
    """The ordered slices of one series and the current position in them."""

    def __init__(self, series: SeriesNode) -> None:
        self.series = series
        self.slices: list[Slice] = [
            Slice(ref, frame)
            for ref in series.instances
            for frame in range(max(1, ref.number_of_frames))
        ]
        self.index = 0

    def __len__(self) -> int:
        return len(self.slices)

    @property
    def current(self) -> Slice:
        """The slice shown now."""
        return self.slices[self.index]

    def move_to(self, index: int) -> bool:
        """Go to ``index`` (clamped to the series); True when the position changed."""
        clamped = min(max(0, index), len(self.slices) - 1)
        changed = clamped != self.index
        self.index = clamped
        return changed

    def step(self, delta: int, wrap: bool = False) -> bool:
        """Move by ``delta`` slices; with ``wrap`` (cine) the end continues at the start."""
        if wrap and self.slices:
            return self.move_to((self.index + delta) % len(self.slices))
        return self.move_to(self.index + delta)

    def set_frame_count(self, path: str, frames: int) -> bool:
        """Expand (or shrink) the instance at ``path`` to ``frames`` slices.

        The current slice stays the current one. True when anything changed.
        """
        positions = [i for i, s in enumerate(self.slices) if s.instance.path == path]
        if not positions or len(positions) == frames or frames < 1:
            return False
        current = self.current
        instance = self.slices[positions[0]].instance
        replacement = [Slice(instance, frame) for frame in range(frames)]
        self.slices[positions[0] : positions[-1] + 1] = replacement
        keys = [s.key for s in self.slices]
        self.index = keys.index(current.key) if current.key in keys else positions[0]
        return True

    def neighbours(self, direction: int, count: int) -> list[Slice]:
        """Up to ``count`` slices ahead in ``direction`` (+1 or -1), nearest first, then
        a few behind: what to prefetch after the current slice."""
        ahead = [self.index + direction * i for i in range(1, count + 1)]
        behind = [self.index - direction * i for i in range(1, count // 4 + 1)]
        return [self.slices[i] for i in ahead + behind if 0 <= i < len(self.slices)]
