"""Reads worth keeping between requests (issue #19): the database's data version, and small in-process LRU
caches of results keyed by it.

``data_version`` changes whenever committed data changes: on PostgreSQL it is the current snapshot
(``pg_current_snapshot()``, which moves whenever any writing transaction commits — exact, although sequence
ids commit out of order); on SQLite (one writer at a time, so ids commit in order) it is the highest id of
the audit log — every change by a person or a rule is in it (DESIGN §4) — and of the ledger and worklist
tables. A result cached under a version is therefore what a fresh read would give while the version stays
the same; every worker process keeps its own caches and checks the version on each request.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Callable, Hashable, TypeVar

from sqlalchemy import text
from sqlalchemy.orm import Session

from arcollect.context import Context

T = TypeVar("T")
_SQLITE_TABLES = ("audit_log", "customers", "invoices", "credit_notes", "payments", "write_offs", "applications",
                  "actions", "worklist_runs")
_SQLITE_VERSION = text("SELECT " + ", ".join(f"(SELECT max(id) FROM {t})" for t in _SQLITE_TABLES))
_PG_VERSION = text("SELECT pg_current_snapshot()::text")


def data_version(session: Session) -> str:
    """A value that changes whenever committed data changes (one cheap statement)."""
    if session.get_bind().dialect.name == "postgresql":
        return str(session.execute(_PG_VERSION).scalar_one())
    return ",".join(str(v) for v in session.execute(_SQLITE_VERSION).one())


def current_version(ctx: Context) -> str:
    with ctx.sessions() as session:
        return data_version(session)


class LRU:
    """A bounded, thread-safe map; the least recently used entries go first."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._gates: dict[Hashable, threading.Lock] = {}
        self.hits = self.misses = 0

    def get(self, key: Hashable) -> Any | None:
        with self._lock:
            if key not in self._items:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return self._items[key]

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


    def computed(self, key: Hashable, compute: Callable[[], T], keep: Callable[[T], bool] = lambda _: True) -> T:
        """The value kept for ``key``, else ``compute()`` (kept when ``keep`` says so). Threads that miss the
        same key together wait for the first one's result instead of all computing it (a cold dashboard
        under 20 users would otherwise be built 20 times at once)."""
        found = self.get(key)
        if found is not None:
            return found
        with self._lock:
            gate = self._gates.setdefault(key, threading.Lock())
        try:
            with gate:
                with self._lock:
                    found = self._items.get(key)
                if found is None:
                    found = compute()
                    if keep(found):
                        self.put(key, found)
                return found
        finally:
            with self._lock:
                if self._gates.get(key) is gate:
                    del self._gates[key]


def lru(ctx: Context, name: str, size: int = 128) -> LRU:
    """The context's cache called ``name`` (``Context.caches`` is shared by every copy of a context)."""
    cache = ctx.caches.get(name)
    if cache is None:
        cache = ctx.caches.setdefault(name, LRU(size))
    return cache


def remembered(ctx: Context, name: str, key: Hashable, compute: Callable[[], T], *, version: str | None = None) -> T:
    """``compute()``, or the result it gave for ``key`` at the current data version."""
    version = current_version(ctx) if version is None else version
    return lru(ctx, name).computed((version, key), compute)
