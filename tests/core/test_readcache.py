"""The in-process LRU behind the read caches (issue #19): bounded, and one computation per key however many
threads miss it at once (a cold dashboard under 20 users is built once, not 20 times)."""

from __future__ import annotations

import threading
import time

from arcollect.readcache import LRU


def test_threads_missing_the_same_key_together_compute_it_once():
    cache, calls, barrier = LRU(8), [], threading.Barrier(10)
    results: list[int] = []

    def compute() -> int:
        calls.append(1)
        time.sleep(0.05)  # long enough for the other threads to arrive and wait
        return 42

    def worker() -> None:
        barrier.wait()
        results.append(cache.computed("dash", compute))

    threads = [threading.Thread(target=worker) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [42] * 10 and len(calls) == 1


def test_the_least_recently_used_go_first_and_unkept_values_are_not_kept():
    cache = LRU(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1
    cache.put("c", 3)  # "b" was used least recently
    assert cache.get("b") is None and cache.get("a") == 1 and cache.get("c") == 3
    assert cache.computed("big", lambda: b"x" * 10, keep=lambda v: len(v) < 5) == b"x" * 10
    assert cache.get("big") is None
