"""The SCD type 2 history the enterprise register's landed snapshots must give (dim_enterprise), computed the
simple way: month by month, from each enterprise's true state and whether its row landed."""

from __future__ import annotations

import hashlib
from datetime import date

import numpy as np

ABSENT = -1  # the snapshot of the month does not list the enterprise (or its row did not land)


def versions(state: np.ndarray, status: np.ndarray, landed: np.ndarray, closing_reason: dict[int, str]
             ) -> list[tuple[int, int, int | None, str | None]]:
    """(enterprise, first month, month it ended or None, closed reason) of every version.

    `state` is (enterprises, months, k): what a version tracks; a version is a run of landed months with the same
    state, ending in the first month whose landed snapshot lacks the enterprise or shows another state.
    """
    _, ids = np.unique(state.reshape(-1, state.shape[-1]), axis=0, return_inverse=True)
    ids = np.where(landed, ids.reshape(landed.shape), ABSENT)
    previous = np.column_stack([np.full(len(ids), ABSENT), ids[:, :-1]])
    found = []
    for e, m in zip(*np.nonzero((ids != ABSENT) & (ids != previous))):
        later = np.flatnonzero(ids[e, m + 1:] != ids[e, m])
        if not len(later):
            found.append((int(e), int(m), None, None))
            continue
        end = int(m + 1 + later[0])
        if ids[e, end] == ABSENT:
            reason = "absent_from_snapshot"
        elif status[e, end] != status[e, m]:
            reason = closing_reason.get(int(status[e, end]), "status_change")
        else:
            reason = "attribute_change"
        found.append((int(e), int(m), end, reason))
    return found


def history_lines(history: list[tuple[str, str, str | None, str | None]]) -> list[str]:
    """One text line per version (uscc, valid_from, valid_to, closed_reason), sorted: what the digest covers."""
    return sorted(f"{uscc}|{valid_from}|{valid_to or ''}|{reason or ''}" for uscc, valid_from, valid_to, reason
                  in history)


def history_digest(history: list[tuple[str, str, str | None, str | None]]) -> str:
    return hashlib.sha256("\n".join(history_lines(history)).encode("utf-8")).hexdigest()


def expected_history(state: np.ndarray, status: np.ndarray, landed: np.ndarray, closing_reason: dict[int, str],
                     months: list[date], uscc: list[str], district: list[str]) -> dict:
    """The history's counts and digest, as the ground truth reports them."""
    found = versions(state, status, landed, closing_reason)
    closed: dict[str, int] = {}
    current_by_district: dict[str, int] = {}
    for e, _, end, reason in found:
        if end is None:
            current_by_district[district[e]] = current_by_district.get(district[e], 0) + 1
        else:
            closed[reason] = closed.get(reason, 0) + 1
    history = [(uscc[e], months[m].isoformat(), None if end is None else months[end].isoformat(), reason)
               for e, m, end, reason in found]
    return {
        "versions": len(found),
        "current_versions": sum(current_by_district.values()),
        "current_by_district": dict(sorted(current_by_district.items())),
        "closed_by_reason": dict(sorted(closed.items())),
        "history_sha256": history_digest(history),
    }
