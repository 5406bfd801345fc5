"""Volunteer service records: one CSV a day from the volunteer platform, UTF-8 with a byte-order mark (as Excel on
Windows writes it), one row per volunteer and activity."""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np

from demo.defects import DefectPicker, defect_count, members, still_unknown
from demo.delivery import reset_folder, write_daily_files
from demo.standard import CityStandard, Contract, read_seed

SOURCE = "volunteer_services"
DEFAULT_SIZE = 100  # records per day
MIN_SIZE = 5  # one record for each defect in a one-day window
RECORD_PREFIX, VOLUNTEER_PREFIX, ACTIVITY_PREFIX = "ZY", "V", "HD"
VOLUNTEERS_PER_RECORD_PER_DAY = 3  # the pool of volunteers is this many times a day's records
MEAN_VOLUNTEERS_PER_ACTIVITY = 5
FIRST_START_HALF_HOURS, LAST_START_HALF_HOURS = 16, 36  # activities start between 08:00 and 18:00
SHORTEST_HALF_HOURS, LONGEST_HALF_HOURS = 2, 8  # and last 1 to 4 hours
APPROVED_SHARE = 0.85
APPROVED, PENDING = "1", "2"  # std_volunteer_record_status codes
UNKNOWN_COMMUNITIES = ["阳光花园小区", "幸福家园社区", "外地社区"]
ACTIVITY_THEMES = ("志愿服务", "主题活动", "宣传活动", "便民服务")
TIME_FORMAT = "%Y-%m-%d %H:%M"
# Picked in this order; every defective record carries exactly one defect.
DEFECTS = ("duplicate_record", "missing_required", "unknown_community", "hours_disagree", "hours_not_half_step")


@dataclass(frozen=True)
class VolunteerStandard:
    """How the platform writes communities and categories, from the seeds."""

    community_codes: list[str]
    community_spellings: list[str]  # the standard name, or the mapping seed's spelling when the name is shared
    community_district: list[str]
    category_spellings: list[str]  # the standard names and the platform's own (mapping seed)
    category_names: list[str]  # the standard name of each spelling's category (for activity names)

    @classmethod
    def load(cls) -> VolunteerStandard:
        communities = read_seed("standard/std_division_community.csv")
        mapped = {row["standard_code"]: row["source_value"]
                  for row in read_seed(f"mappings/map_community__{SOURCE}.csv")}
        categories = read_seed("standard/std_volunteer_service_category.csv")
        category_name = {row["volunteer_service_category_code"]: row["volunteer_service_category_name"]
                         for row in categories}
        own = read_seed(f"mappings/map_volunteer_service_category__{SOURCE}.csv")
        return cls(
            community_codes=[row["community_code"] for row in communities],
            community_spellings=[mapped.get(row["community_code"], row["community_name"]) for row in communities],
            community_district=[row["district_code"] for row in communities],
            category_spellings=[*category_name.values(), *(row["source_value"] for row in own)],
            category_names=[*category_name.values(), *(category_name[row["standard_code"]] for row in own)],
        )


@dataclass
class Records:
    """One service record per element; times are minutes since the window's first midnight (local)."""

    day: np.ndarray
    seq: np.ndarray
    volunteer: np.ndarray
    activity: np.ndarray  # index into the day's activities, numbered within the day
    community: np.ndarray
    category: np.ndarray
    start: np.ndarray
    half_hours: np.ndarray
    hours_tenths: np.ndarray  # delivered hours x 10
    approved: np.ndarray


def deliver(inbox: Path, std: CityStandard, rng: np.random.Generator, start: date, days: int, per_day: int,
            scenario=None) -> dict:
    """Write the daily CSV files into `<inbox>/<source>/` and return this source's ground truth."""
    contract, platform = Contract.load(SOURCE), VolunteerStandard.load()
    records = _clean_records(rng, platform, days, per_day)
    picks = _pick_defects(rng, len(records.day))
    records.hours_tenths[picks["hours_disagree"]] += 10 * rng.integers(1, 4, size=len(picks["hours_disagree"]))
    off_step = picks["hours_not_half_step"]
    records.hours_tenths[off_step] += rng.choice([1, 2, 3, -1, -2], size=len(off_step))
    rows = _rows(rng, platform, contract, start, records, picks)
    files, written = _write_files(inbox, contract, start, days, rows, records, picks["duplicate_record"])
    injected = {name: len(index) for name, index in picks.items()} | {"byte_order_mark_files": len(files)}
    return {"files": files, "injected": injected, "expected": _expected(std, platform, records, picks, written)}


def _clean_records(rng: np.random.Generator, platform: VolunteerStandard, days: int, per_day: int) -> Records:
    n = days * per_day
    day = np.repeat(np.arange(days), per_day)
    activities_per_day = max(1, per_day // MEAN_VOLUNTEERS_PER_ACTIVITY)
    activity = rng.integers(0, activities_per_day, size=n)
    # every activity of a day has one community, category, start and length
    shape = (days, activities_per_day)
    community = rng.integers(0, len(platform.community_codes), size=shape)
    category = rng.integers(0, len(platform.category_spellings), size=shape)
    start = rng.integers(FIRST_START_HALF_HOURS, LAST_START_HALF_HOURS + 1, size=shape) * 30
    half_hours = rng.integers(SHORTEST_HALF_HOURS, LONGEST_HALF_HOURS + 1, size=shape)
    order = np.lexsort((activity, day))  # a day's file lists its records activity by activity
    day, activity = day[order], activity[order]
    return Records(
        day=day,
        seq=np.tile(np.arange(1, per_day + 1), days),
        volunteer=rng.integers(0, VOLUNTEERS_PER_RECORD_PER_DAY * per_day, size=n),
        activity=activity,
        community=community[day, activity],
        category=category[day, activity],
        start=day * 1440 + start[day, activity],
        half_hours=half_hours[day, activity],
        hours_tenths=half_hours[day, activity] * 5,
        approved=rng.random(n) < APPROVED_SHARE,
    )


def _pick_defects(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    picker = DefectPicker(rng, n)
    every_row = np.ones(n, dtype=bool)
    return {name: picker.pick(name, defect_count(n), every_row) for name in DEFECTS}


def _rows(rng: np.random.Generator, platform: VolunteerStandard, contract: Contract, start: date, records: Records,
          picks: dict[str, np.ndarray]) -> list[list[str | None]]:
    """One list of cell texts per record, in contract column order (None: an empty cell)."""
    midnight = datetime.combine(start, datetime.min.time())
    unknown = still_unknown(UNKNOWN_COMMUNITIES, platform.community_spellings)
    communities = [platform.community_spellings[k] for k in records.community]
    for row in picks["unknown_community"]:
        communities[row] = str(rng.choice(unknown))
    for row in picks["missing_required"]:
        communities[row] = None
    rows = []
    for k in range(len(records.day)):
        began = midnight + timedelta(minutes=int(records.start[k]))
        tag = began.strftime("%Y%m%d")
        category = int(records.category[k])
        values = {
            "record_id": f"{RECORD_PREFIX}{tag}{records.seq[k]:06d}",
            "volunteer_id": f"{VOLUNTEER_PREFIX}{records.volunteer[k]:08d}",
            "activity_id": f"{ACTIVITY_PREFIX}{tag}{records.activity[k]:03d}",
            "activity_name": platform.category_names[category]
                             + ACTIVITY_THEMES[records.activity[k] % len(ACTIVITY_THEMES)],
            "service_category_name": platform.category_spellings[category],
            "community_name": communities[k],
            "started_at": began.strftime(TIME_FORMAT),
            "ended_at": (began + timedelta(minutes=30 * int(records.half_hours[k]))).strftime(TIME_FORMAT),
            "service_hours": f"{records.hours_tenths[k] // 10}.{records.hours_tenths[k] % 10}",
            "record_status_name": "已审核" if records.approved[k] else "待审核",
        }
        rows.append([values[name] for name in contract.columns])
    return rows


def _write_files(inbox: Path, contract: Contract, start: date, days: int, rows: list[list[str | None]],
                 records: Records, duplicate: np.ndarray) -> tuple[list[str], int]:
    """One CSV a day with a byte-order mark and CRLF lines, each duplicate right after its original."""
    copies = members(len(rows), duplicate)
    written = 0
    contents = []
    for day in range(days):
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(contract.headers())
        for row in np.flatnonzero(records.day == day):
            for _ in range(2 if copies[row] else 1):
                writer.writerow(rows[row])
                written += 1
        contents.append(buffer.getvalue().encode("utf-8-sig"))
    files = write_daily_files(reset_folder(inbox / SOURCE), contract, start, iter(contents), None)
    return files, written


def _expected(std: CityStandard, platform: VolunteerStandard, records: Records, picks: dict[str, np.ndarray],
              written: int) -> dict:
    """What the pipeline must find, from the records written (each record is delivered once)."""
    n = len(records.day)
    quarantine = {"duplicate_record": len(picks["duplicate_record"]),
                  "missing_required": len(picks["missing_required"])}
    lands = ~members(n, picks["missing_required"])
    known = lands & ~members(n, picks["unknown_community"])
    districts = Counter(platform.community_district[k] for k in records.community[known])
    bad_hours = members(n, picks["hours_disagree"]) | members(n, picks["hours_not_half_step"])
    approved_valid = lands & records.approved & ~bad_hours
    return {
        "rows_written": written,
        "quarantine": quarantine,
        "landed": written - sum(quarantine.values()),
        "distinct_records": int(lands.sum()),
        "unknown_community": int((lands & members(n, picks["unknown_community"])).sum()),
        "records_by_district": {code: districts.get(code, 0) for code in std.district_codes},
        "invalid_hours": int((lands & bad_hours).sum()),
        "hours_not_half_step": int((lands & members(n, picks["hours_not_half_step"])).sum()),
        "approved": int((lands & records.approved).sum()),
        "approved_valid_hours": float(records.hours_tenths[approved_valid].sum()) / 10,
        "volunteers": len(set(records.volunteer[lands].tolist())),
    }
