"""Which of a customer's open items add up to a payment (pure): a bounded subset-sum DP on integer units that
finds at most two combinations — one is an answer, two is a tie the matcher refuses to break."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Sequence

UNIT_SCALE = 4
WIDE = 200  # combinations of 2 or 3 items are looked for among this many items (4 and more: max_items)  # money is stored with at most 4 decimals (arcollect.money.STORAGE_SCALE)


def units(amount: Decimal) -> int:
    return int(amount.scaleb(UNIT_SCALE))


@dataclass(frozen=True)
class Combinations:
    found: tuple[tuple[int, ...], ...]  # up to two, each the indexes of the items (oldest-first order kept)
    exhausted: bool = False  # the search stopped at its size bound: no answer should be trusted
    complete: bool = True  # every open item was looked at (else a rival may hide among the rest)

    @property
    def unique(self) -> tuple[int, ...] | None:
        return self.found[0] if len(self.found) == 1 and not self.exhausted else None


def _small(values: Sequence[int], target: int, max_k: int) -> dict[int, list[tuple[int, ...]]]:
    """Every combination of 2 … ``max_k`` (≤ 4) items summing to ``target`` (up to 3 per size), by pair sums."""
    pairs: dict[int, list[tuple[int, int]]] = {}
    n = len(values)
    for i in range(n):
        for j in range(i + 1, n):
            t = values[i] + values[j]
            if t <= target:
                pairs.setdefault(t, []).append((i, j))
    out: dict[int, list[tuple[int, ...]]] = {}
    out[2] = [p for p in pairs.get(target, ())][:3]
    if max_k >= 3:
        out[3] = [(i, j, k) for i in range(n) for (j, k) in pairs.get(target - values[i], ()) if i < j][:3]
    if max_k >= 4:
        four = []
        for t, ps in pairs.items():
            for (k, m) in pairs.get(target - t, ()):
                four.extend((i, j, k, m) for (i, j) in ps if j < k)
            if len(four) >= 3:
                break
        out[4] = four[:3]
    return out


def find_smallest(amounts: Sequence[int], target: int, *, max_items: int = 30, max_states: int = 20000) -> Combinations:
    """The combination with the fewest items that sums to ``target``: unique when no other combination has as
    few items or one more (a larger coincidence among many items is likely and no specialist would pick it);
    past 4 items the exhaustive ``find`` decides."""
    values = list(amounts[:max_items])
    small = _small(values, target, 4)
    wide = _small(amounts[:WIDE], target, 3) if len(amounts) > max_items else small  # 2 and 3 over more items
    for size in (2, 3, 4):
        found = sorted(set(small.get(size, []) + (wide.get(size, []) if size < 4 else [])))
        if found:
            rivals = found[1:] + small.get(size + 1, [])[:1] + (wide.get(size + 1, [])[:1] if size < 3 else [])
            return Combinations(tuple(sorted([found[0]] + rivals[:1])) if rivals else (found[0],),
                                complete=len(amounts) <= WIDE)
    found_ = find(values, target, max_items=max_items, max_states=max_states)
    return Combinations(found_.found, found_.exhausted, complete=len(amounts) <= max_items)


def find(amounts: Sequence[int], target: int, *, max_items: int = 30, max_states: int = 20000,
         min_size: int = 2) -> Combinations:
    """Subsets of ``amounts[:max_items]`` (positive integer units, oldest first) summing exactly to ``target``.
    Returns at most two, the one with the oldest items first; ``exhausted`` when the DP grew past ``max_states``."""
    values = [a for a in amounts[:max_items]]
    if target <= 0 or not values:
        return Combinations(())
    rest = [0] * (len(values) + 1)
    for i in range(len(values) - 1, -1, -1):
        rest[i] = rest[i + 1] + values[i]
    if rest[0] < target:
        return Combinations(())
    states: dict[int, tuple[int, ...]] = {0: (0,)}  # sum → up to two bit masks reaching it
    for i, v in enumerate(values):
        bit = 1 << i
        remaining = rest[i + 1]
        new: dict[int, tuple[int, ...]] = {}
        for s, masks in states.items():
            if s + remaining >= target:  # without this item it may still reach the target
                new[s] = masks if s not in new else (new[s] + masks)[:2]
            t = s + v
            if t <= target and t + remaining >= target:
                add = tuple(m | bit for m in masks)
                old = new.get(t)
                new[t] = add if old is None else (old + add)[:2]
        states = new
        if len(states) > max_states:
            return Combinations((), exhausted=True)
    # (callers look for single items first: with none equal to the target every mask here has ≥ 2 items)
    masks = [m for m in states.get(target, ()) if bin(m).count("1") >= min_size]
    found = [tuple(i for i in range(len(values)) if m >> i & 1) for m in masks]
    found.sort()  # oldest items first
    return Combinations(tuple(found[:2]))
