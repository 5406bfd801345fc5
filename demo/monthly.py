"""Helpers of the monthly sources: the months a window touches, and the USCC check character (GB 32100)."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

# GB 32100-2015: 31 characters (no I O S V Z) valued 0..30, weights of the first 17 positions.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = np.array([1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28], dtype=np.int64)


def month_starts(start: date, days: int) -> list[date]:
    """The first day of every month the window [start, start + days) touches."""
    end = start + timedelta(days=days - 1)
    months, first = [], start.replace(day=1)
    while first <= end:
        months.append(first)
        first = (first + timedelta(days=32)).replace(day=1)
    return months


def uscc_check_values(bodies: np.ndarray) -> np.ndarray:
    """Check value (0..30) of each 17-character body, given as an (n, 17) array of character values."""
    return (31 - (bodies @ USCC_WEIGHTS) % 31) % 31


def uscc_texts(bodies: np.ndarray, check_shift: np.ndarray) -> list[str]:
    """Codes of the (n, 17) bodies; a non-zero `check_shift` writes a wrong check character (an invalid code)."""
    check = (uscc_check_values(bodies) + check_shift) % 31
    alphabet = np.array(list(USCC_ALPHABET))
    characters = np.column_stack([alphabet[bodies], alphabet[check]])
    return ["".join(row) for row in characters]
