"""Speed and time left of a long copy or upload, in the words people read."""


def megabytes_per_second(bytes_done: int, elapsed: float) -> float:
    """Speed so far (0 before any time has passed)."""
    return bytes_done / 1e6 / elapsed if elapsed > 0 else 0.0


def seconds_left(bytes_done: int, bytes_total: int, elapsed: float) -> float | None:
    """Time left at the speed so far; None before there is a speed."""
    if bytes_done <= 0 or elapsed <= 0:
        return None
    return (bytes_total - bytes_done) * elapsed / bytes_done


def duration(seconds: float) -> str:
    """"1:02" or "1:02:03"."""
    minutes, secs = divmod(int(seconds + 0.5), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
