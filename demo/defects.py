"""Choosing which records carry which injected defect.

Every defective record carries exactly one defect, so the ground truth stays exact: rows are handed out
without replacement, and a row copied by a defect (a duplicate's original, a re-export's base) is taken too.
"""

from __future__ import annotations

import numpy as np

DEFECT_RATE = 0.01


def defect_count(n: int, rate: float = DEFECT_RATE) -> int:
    """At least one of every defect, so that even a tiny demo exercises every rule."""
    return max(1, round(rate * n))


class DefectPicker:
    """Hands out distinct rows in a seeded random order."""

    def __init__(self, rng: np.random.Generator, n: int):
        self._order = rng.permutation(n)
        self._taken = np.zeros(n, dtype=bool)

    def free(self, eligible: np.ndarray) -> int:
        """How many eligible rows no defect has taken yet."""
        return int((eligible & ~self._taken).sum())

    def pick(self, defect: str, count: int, eligible: np.ndarray) -> np.ndarray:
        free = self._order[eligible[self._order] & ~self._taken[self._order]]
        if len(free) < count:
            raise ValueError(f"only {len(free)} rows can carry {defect!r}, {count} needed: generate more rows or days")
        chosen = np.sort(free[:count])
        self._taken[chosen] = True
        return chosen


def defect_counts(defects: tuple[str, ...], n: int, days: int) -> dict[str, int]:
    """How many records carry each defect; a re-export needs a next day to go to."""
    return {name: 0 if name == "re_export" and days < 2 else defect_count(n) for name in defects}


def special_days(days: int) -> tuple[int | None, int | None]:
    """(re-delivered day, wrong-encoding day), both None for fewer than 3 days (e.g. a one-day delivery).

    Both files stay free of row defects, so that every row of the re-delivered copy is only a duplicate
    delivery and the wrong-encoding file only tests encoding detection: the other days must carry those.
    """
    if days < 3:
        return None, None
    encoding_day = days // 2
    return encoding_day - 1, encoding_day


def row_defect_days(days: int) -> np.ndarray:
    """Per day: may its file carry row-level defects?"""
    allowed = np.ones(days, dtype=bool)
    allowed[[day for day in special_days(days) if day is not None]] = False
    return allowed


def members(n: int, index: np.ndarray) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    mask[index] = True
    return mask


def still_unknown(values: list[str], known: list[str]) -> list[str]:
    """`values`, checked to be outside the code set: an injected unknown code that became known would make the
    ground truth wrong."""
    clash = set(values) & set(known)
    if clash:
        raise ValueError(f"{sorted(clash)} are now in the code set: choose other unknown values")
    return values
