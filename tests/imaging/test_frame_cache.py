"""The frame cache keeps the most recently used frames within its budget."""

from app.imaging.frame_cache import FrameCache


def _cache(budget: int) -> FrameCache[str, bytes]:
    return FrameCache(len, budget)


def test_evicts_least_recently_used_first() -> None:
    cache = _cache(30)
    cache.put("a", b"x" * 10)
    cache.put("b", b"x" * 10)
    cache.put("c", b"x" * 10)
    assert cache.get("a") is not None  # "a" is now the most recent
    cache.put("d", b"x" * 10)
    assert "b" not in cache
    assert all(k in cache for k in "acd")
    assert cache.used_bytes == 30


def test_replacing_a_key_updates_the_size() -> None:
    cache = _cache(100)
    cache.put("a", b"x" * 40)
    cache.put("a", b"x" * 10)
    assert cache.used_bytes == 10


def test_too_large_values_are_not_kept_and_shrinking_evicts() -> None:
    cache = _cache(20)
    cache.put("big", b"x" * 21)
    assert "big" not in cache and cache.used_bytes == 0
    cache.put("a", b"x" * 10)
    cache.put("b", b"x" * 10)
    cache.set_budget(10)
    assert "a" not in cache and "b" in cache
    cache.clear()
    assert cache.used_bytes == 0 and cache.get("b") is None
