"""An in-process cache of resolved principals (issue #19): who is behind a session cookie or an API token.

Every request still asks the database, in one indexed statement, whether its session (or token) is open
and what the users' epoch is (``AuthEpoch``: bumped by every user change — role, team, active, password,
a new user). The cache only saves building the principal again (the user's team and its collectors): an
entry is used only when the session, the user's session version and the epoch all match what it was built
from, so a sign-out, a password or role change, a disabled user, a team change takes effect on the very next
request in every worker process — the cache never answers on its own. Entries also expire after ``TTL``
seconds and are dropped at sign-out; the cache holds at most ``SIZE`` of them (least recently used go).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Hashable

from arcollect.auth.permissions import Principal

TTL = 60.0
SIZE = 10_000


@dataclass(frozen=True)
class Entry:
    stamp: Hashable  # what the principal was built from: (user pk, session version, epoch)
    principal: Principal
    until: float  # time.monotonic() after which the entry is not used


class PrincipalCache:
    """Key (a session or token hash) → principal, valid for one stamp. Thread-safe (the server's threads)."""

    def __init__(self, ttl: float = TTL, size: int = SIZE) -> None:
        self.ttl, self.size = ttl, size
        self._entries: OrderedDict[str, Entry] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: str, stamp: Hashable) -> Principal | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry.stamp != stamp or entry.until < time.monotonic():
                if entry is not None:
                    del self._entries[key]
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry.principal

    def put(self, key: str, stamp: Hashable, principal: Principal) -> None:
        with self._lock:
            self._entries[key] = Entry(stamp, principal, time.monotonic() + self.ttl)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def drop(self, key: str) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def principal_cache(caches: dict[str, Any]) -> PrincipalCache:
    """The context's principal cache (``Context.caches`` is shared by every copy of a context)."""
    cache = caches.get("principals")
    if cache is None:
        cache = caches.setdefault("principals", PrincipalCache())
    return cache
