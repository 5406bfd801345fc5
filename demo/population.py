"""Resident population by community: one XLSX workbook a month from the statistics bureau (社区实有人口).

Every community of the standard is counted each month, except a few a month's workbook leaves out. Defects: a
community missing from a month, an exact duplicate row, a row without its resident count, a community code the
standard does not know, and implausible counts (negative, more residents aged 60+ than residents, a jump of the
resident population). The ground truth counts the flags the pipeline must raise from the values delivered.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import yaml

from demo.defects import DefectPicker, defect_count, members
from demo.delivery import monthly_workbook, reset_folder
from demo.monthly import month_starts
from demo.standard import CityStandard, Contract, read_seed
from pipelines.settings import DBT_PROJECT_DIR

SOURCE = "community_population"
COMMUNITY_SEED = "standard/std_division_community.csv"
DEFAULT_SIZE = len(read_seed(COMMUNITY_SEED))  # communities a month: every community of the standard
MIN_SIZE = 10  # every month then has a row for each defect
MONTHLY_DRIFT = 0.02  # usual month-on-month change of a community's resident population
# The plausibility rule's jump threshold, read from the dbt var it is configured by: the truth flags what the rule does.
MAX_CHANGE_SHARE = float(
    yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))["vars"]["max_population_change_share"])
JUMP_FACTOR = 1.6
UNKNOWN_PREFIX = "9"  # a known street's code + 9 + two digits: a community number the standard does not have
MONTH_FORMATS = ("{:%Y-%m}", "{:%Y%m}", "{0.year}年{0.month}月")
DEFECTS = ("missing_community", "duplicate_record", "missing_required", "unknown_community", "negative_count",
           "more_elderly_than_residents", "resident_jump")


def deliver(inbox: Path, std: CityStandard, rng: np.random.Generator, start: date, days: int, size: int,
            scenario=None) -> dict:
    """Write one workbook per month of the window into `<inbox>/<source>/` and return the ground truth."""
    contract = Contract.load(SOURCE)
    communities = [row["community_code"] for row in read_seed(COMMUNITY_SEED)]
    chosen = np.sort(rng.choice(len(communities), size=min(size, len(communities)), replace=False))
    codes = [communities[k] for k in chosen]
    months = month_starts(start, days)
    counts = _true_counts(rng, len(codes), len(months))
    folder = reset_folder(inbox / SOURCE)
    files, written, injected = [], 0, dict.fromkeys(DEFECTS, 0)
    landed: dict[tuple[str, int], np.ndarray] = {}  # (code, month) -> delivered counts of the landed row
    unknown_codes: set[str] = set()
    for m, month in enumerate(months):
        month_counts = counts[:, m].copy()
        row_codes = list(codes)
        picks = _pick_defects(rng, len(codes), m)
        for defect, rows in picks.items():
            injected[defect] += len(rows)
        _implausible(month_counts, picks)
        for j, row in enumerate(picks["unknown_community"]):
            row_codes[row] = f"{row_codes[row][:-3]}{UNKNOWN_PREFIX}{j:02d}"
            unknown_codes.add(row_codes[row])
        rows, lands = _rows(rng, month, row_codes, month_counts, picks)
        name = contract.file_name(month)
        (folder / name).write_bytes(monthly_workbook(contract, rows, month))
        files.append(f"{SOURCE}/{name}")
        written += len(rows)
        for row in np.flatnonzero(lands):
            landed[row_codes[row], m] = month_counts[row]
    still_unknown = unknown_codes & set(communities)
    if still_unknown:
        raise ValueError(f"{sorted(still_unknown)} are communities of the standard: choose another unknown prefix")
    quarantine = {"duplicate_record": injected["duplicate_record"], "missing_required": injected["missing_required"]}
    return {"files": files, "injected": injected,
            "expected": _expected(landed, unknown_codes, months, written, quarantine)}


def _true_counts(rng: np.random.Generator, n: int, months: int) -> np.ndarray:
    """(n, months, 4) plausible counts: registered, resident, floating, aged 60+."""
    resident = np.round(rng.lognormal(np.log(4000), 0.5, size=n)[:, None]
                        * np.cumprod(1 + rng.uniform(-MONTHLY_DRIFT, MONTHLY_DRIFT, size=(n, months)), axis=1))
    registered = np.round(resident * rng.uniform(0.6, 1.0, size=(n, 1)))
    floating = resident - registered + np.round(resident * rng.uniform(0, 0.1, size=(n, 1)))
    elderly = np.round(resident * rng.uniform(0.12, 0.32, size=(n, 1)))
    return np.stack([registered, resident, floating, elderly], axis=-1).astype(np.int64)


def _pick_defects(rng: np.random.Generator, n: int, month: int) -> dict[str, np.ndarray]:
    """Defects of one month's rows (distinct rows); a jump needs a previous month to jump from."""
    picker = DefectPicker(rng, n)
    every_row = np.ones(n, dtype=bool)
    counts = {name: defect_count(n) for name in DEFECTS} | {"resident_jump": defect_count(n) if month else 0}
    return {name: picker.pick(name, counts[name], every_row) for name in DEFECTS}


def _implausible(counts: np.ndarray, picks: dict[str, np.ndarray]) -> None:
    counts[picks["negative_count"], 2] = -counts[picks["negative_count"], 2]  # floating population below zero
    elderly = picks["more_elderly_than_residents"]
    counts[elderly, 3] = counts[elderly, 1] + 1 + counts[elderly, 1] // 10
    jump = picks["resident_jump"]
    counts[jump, 1] = np.round(counts[jump, 1] * JUMP_FACTOR)


def _rows(rng: np.random.Generator, month: date, codes: list[str], counts: np.ndarray,
          picks: dict[str, np.ndarray]) -> tuple[list[list], np.ndarray]:
    """The month's rows in delivery order (a duplicate right after its original) and which source rows land."""
    missing = members(len(codes), picks["missing_community"])
    duplicate = members(len(codes), picks["duplicate_record"])
    no_resident = members(len(codes), picks["missing_required"])
    month_format = rng.integers(0, len(MONTH_FORMATS), size=len(codes))
    rows = []
    for k, code in enumerate(codes):
        if missing[k]:
            continue
        values = counts[k].tolist()
        if no_resident[k]:
            values[1] = None
        row = [code, MONTH_FORMATS[month_format[k]].format(month), *values]
        rows += [row, list(row)] if duplicate[k] else [row]
    return rows, ~missing & ~no_resident


def _expected(landed: dict[tuple[str, int], np.ndarray], unknown: set[str], months: list[date], written: int,
              quarantine: dict[str, int]) -> dict:
    """What the pipeline must find, computed from the landed values with the plausibility rule's definition."""
    flags = dict.fromkeys(("negative_count", "more_elderly_than_residents", "resident_jump", "implausible"), 0)
    resident_by_month: dict[str, int] = {}
    for (code, m), values in landed.items():
        registered, resident, floating, elderly = values.tolist()
        previous = landed[code, m - 1].tolist() if (code, m - 1) in landed else None
        negative = min(registered, resident, floating, elderly) < 0
        elderly_above = elderly > resident
        jump = previous is not None and previous[1] > 0 and abs(resident - previous[1]) > MAX_CHANGE_SHARE * previous[1]
        flags["negative_count"] += negative
        flags["more_elderly_than_residents"] += elderly_above
        flags["resident_jump"] += jump
        flags["implausible"] += negative or elderly_above or jump
        if code not in unknown:
            key = months[m].isoformat()
            resident_by_month[key] = resident_by_month.get(key, 0) + resident
    return {
        "rows_written": written,
        "quarantine": quarantine,
        "landed": written - sum(quarantine.values()),
        "community_months": len(landed),
        "unknown_community": sum(1 for code, _ in landed if code in unknown),
        "resident_by_month": resident_by_month,
        "implausible": flags,
    }
