"""110 police incidents: one Parquet extract a day from the command centre's database, desensitized.

The export tool changed over time, so the time columns come in three physical forms, one per file: a zoned
timestamp, a naive local timestamp, or text. Stations are written by their standard name or the bureau's full
name, classes and sub-types by their standard name or the department's own spelling (the mapping seeds).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, fields
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from demo.defects import DefectPicker, defect_counts, members, row_defect_days, special_days, still_unknown
from demo.delivery import daily_layout, reset_folder, write_daily_files
from demo.police_standard import PoliceStandard
from demo.scenarios import REPORT, Scenario, ScenarioRecord, matter_ids
from demo.standard import CityStandard, Contract
from demo.values import (ROADS, day_starts, day_tags, join, pick, pick_within, replace_at, seconds_of_day,
                         slashed_timestamps, text, utc_offsets, with_nulls)
from pipelines.settings import TIMEZONE

SOURCE = "police_incidents"
DEFAULT_SIZE = 120  # records per day
MIN_SIZE = 4  # enough rows on the days that may carry row defects, in the shortest demo
SCENARIO_ROLE = REPORT
SCENARIO_REFERS_DISPUTES = True  # dispute calls go on to mediation (administrative mediation, 行政调解)
ID_PREFIX = "JQ"
# Calls come around the clock, most in the evening.
HOURLY_WEIGHTS = [3, 2, 2, 1, 1, 1, 2, 4, 6, 7, 7, 7, 6, 6, 7, 7, 8, 9, 10, 11, 11, 10, 7, 5]
OWN_SPELLING_SHARE = 0.3  # a value written the department's own way (its mapping seed), when it has one
ROAD_ADDRESS_SHARE = 0.3  # generalised to the road instead of the community
NOT_ATTENDED_SHARE, NOT_CLOSED_SHARE = 0.05, 0.1
ARRIVAL_MINUTES, CLOSING_MINUTES = 12, 90  # mean minutes call -> on site -> closed
RESULTS = ["已处置", "已调解", "已移交相关部门", "已受理立案", "警情不实", "已救助"]
UNKNOWN_STATIONS = ["长江水上派出所", "高铁站派出所", "机场派出所"]
UNKNOWN_TYPES = ["醉酒滋事", "非警务求助", "无声电话"]
TIME_FORMS = ("zoned", "local", "text")  # the physical form of the time columns, file by file
TIME_COLUMNS = ("reported_at", "arrived_at", "closed_at")
CORRUPT_SUFFIX = "_part2"  # a second extract of the corrupt-file day, cut off in transfer
# Picked in this order; every defective record carries exactly one defect.
DEFECTS = ("duplicate_record", "missing_required", "unknown_jurisdiction", "unknown_type")


@dataclass
class Incidents:
    """One incident per element; times in epoch seconds, -1 where there is none."""

    day: np.ndarray
    seq: np.ndarray
    reported: np.ndarray
    arrived: np.ndarray
    closed: np.ndarray
    channel: np.ndarray
    incident_type: np.ndarray
    street: np.ndarray
    address: np.ndarray  # generalised place text (object array)
    result: np.ndarray

    def __add__(self, other: Incidents) -> Incidents:
        return Incidents(*(np.concatenate([getattr(self, f.name), getattr(other, f.name)]) for f in fields(self)))


def deliver(inbox: Path, std: CityStandard, rng: np.random.Generator, start: date, days: int, per_day: int,
            scenario: Scenario | None = None) -> dict:
    """Write the daily Parquet files into `<inbox>/<source>/` and return this source's ground truth. With a
    scenario, one more incident per scenario record (`scenario_records` in the truth), drawn from the scenario's
    own random stream: the other incidents are written exactly as without it."""
    contract = Contract.load(SOURCE)
    police = PoliceStandard.load()
    incidents = _daily_incidents(rng, police, start, days, per_day)
    picks = _pick_defects(rng, incidents, days)
    values = _values(rng, police, start, incidents, picks)
    records = scenario.records_for(SOURCE) if scenario else []
    if records:
        extra_rng = scenario.rng_for(SOURCE)
        extra = _scenario_incidents(extra_rng, police, start, days, per_day, records)
        extra_values = _values(extra_rng, police, start, extra, {name: np.array([], np.int64) for name in DEFECTS})
        incidents = incidents + extra
        values = {name: pa.concat_arrays([values[name], extra_values[name]]) for name in values}
    files, resent_rows = _write_files(inbox, contract, values, incidents, picks, start, days)
    corrupt = _write_corrupt_file(inbox, contract, values, start, days)
    injected = {name: len(rows) for name, rows in picks.items()} | {
        "redelivered_file": int(special_days(days)[0] is not None), "corrupt_file": int(corrupt is not None),
        "time_forms": min(days, len(TIME_FORMS))}
    truth = {"files": sorted(files + ([corrupt] if corrupt else [])), "injected": injected,
             "expected": _expected(police, incidents, picks, resent_rows, corrupt is not None)}
    if scenario is not None:
        truth["scenario_records"] = matter_ids(records, values["incident_id"].to_pylist()[len(incidents.day) -
                                                                                           len(records):])
    return truth


def scenario_categories(std: CityStandard) -> set[str]:
    """The categories a scenario record may carry: those of a sub-type whose class is a dispute exactly when the
    category's group is a dispute group (so an incident of a non-dispute matter never starts a dispute journey)."""
    police = PoliceStandard.load()
    return {code for code, klass in zip(police.type_category, police.type_class)
            if code and bool(police.class_is_dispute[klass]) == (std.category_parent.get(code) in std.dispute_groups)}


def _daily_incidents(rng: np.random.Generator, police: PoliceStandard, start: date, days: int,
                     per_day: int) -> Incidents:
    n = days * per_day
    day = np.repeat(np.arange(days), per_day)
    second = seconds_of_day(rng, n, HOURLY_WEIGHTS)
    local = day_starts(start, days)[day] + second[np.lexsort((second, day))]
    street = rng.integers(0, len(police.street_codes), n)
    return _incidents(rng, police, day, np.tile(np.arange(1, per_day + 1), days),
                      local - utc_offsets(start, days, TIMEZONE)[day],
                      rng.integers(0, len(police.type_names), n), street, _addresses(rng, police, street))


def _incidents(rng: np.random.Generator, police: PoliceStandard, day: np.ndarray, seq: np.ndarray,
               reported: np.ndarray, incident_type: np.ndarray, street: np.ndarray, address: np.ndarray,
               is_closed: np.ndarray | None = None) -> Incidents:
    """Incidents with their response; `is_closed` (a scenario's) says which are closed, else some are left open
    or never attended."""
    n = len(day)
    arrived = reported + 60 + rng.exponential(ARRIVAL_MINUTES * 60, n).astype(np.int64)
    closed = arrived + 300 + rng.exponential(CLOSING_MINUTES * 60, n).astype(np.int64)
    unattended, open_ = rng.random(n) < NOT_ATTENDED_SHARE, rng.random(n) < NOT_CLOSED_SHARE
    if is_closed is not None:
        unattended, open_ = unattended & ~is_closed, ~is_closed
    arrived[unattended] = -1
    closed[unattended | open_] = -1
    channel = rng.choice(len(police.channel_names), n, p=police.channel_shares)
    return Incidents(day, seq, reported, arrived, closed, channel, incident_type, street, address,
                     rng.integers(0, len(RESULTS), n))


def _addresses(rng: np.random.Generator, police: PoliceStandard, street: np.ndarray) -> np.ndarray:
    """Generalised places: the street and one of its communities, or the street and a road."""
    community = pick(police.community_names, pick_within(rng, police.community_street, street))
    road = join(pick(ROADS, rng.integers(0, len(ROADS), len(street))), "路")
    place = pc.if_else(pa.array(rng.random(len(street)) < ROAD_ADDRESS_SHARE), road, community)
    return np.array(join(pick(police.street_names, street), place).to_pylist(), dtype=object)


def _scenario_incidents(rng: np.random.Generator, police: PoliceStandard, start: date, days: int, per_day: int,
                        records: list[ScenarioRecord]) -> Incidents:
    """One incident per scenario record, on its day, numbered after that day's own incidents."""
    zone = ZoneInfo(TIMEZONE)
    day = np.array([(record.occurred_at.astimezone(zone).date() - start).days for record in records], np.int64)
    if ((day < 0) | (day >= days)).any():
        raise ValueError(f"a scenario record of {SOURCE} lies outside the {days} generated days")
    order = np.argsort(day, kind="stable")
    rank = np.empty(len(day), np.int64)
    rank[order] = np.arange(len(day)) - np.searchsorted(day[order], day[order])
    street_index = {code: i for i, code in enumerate(police.street_codes)}
    return _incidents(
        rng, police, day, per_day + 1 + rank,
        np.array([int(record.occurred_at.timestamp()) for record in records], np.int64),
        np.array([_type_of(police, record.category_code, record.is_dispute) for record in records], np.int64),
        np.array([street_index[record.street_code] for record in records], np.int64),
        np.array([record.address for record in records], dtype=object),
        np.array([record.is_closed for record in records], bool))


def _type_of(police: PoliceStandard, category_code: str, is_dispute: bool) -> int:
    """A sub-type of the record's category, of a dispute class exactly when the record is a dispute if possible."""
    candidates = [k for k, code in enumerate(police.type_category) if code == category_code] or \
                 [k for k, code in enumerate(police.type_category) if not code]
    fitting = [k for k in candidates if police.class_is_dispute[police.type_class[k]] == is_dispute]
    return (fitting or candidates)[0]


def _pick_defects(rng: np.random.Generator, incidents: Incidents, days: int) -> dict[str, np.ndarray]:
    picker = DefectPicker(rng, len(incidents.day))
    counts = defect_counts(DEFECTS, len(incidents.day), days)
    allowed = row_defect_days(days)[incidents.day]
    return {name: picker.pick(name, counts[name], allowed) for name in DEFECTS}


def _spelled(rng: np.random.Generator, names: list[str], spellings: list[list[str]], index: np.ndarray) -> pa.Array:
    """The standard name, or (OWN_SPELLING_SHARE) one of the department's own spellings when it has one."""
    written = np.array(names, dtype=object)[index]
    own = rng.random(len(index)) < OWN_SPELLING_SHARE
    for value, variants in enumerate(spellings):
        rows = np.flatnonzero(own & (index == value))
        if variants and len(rows):
            written[rows] = np.array(variants, dtype=object)[rng.integers(0, len(variants), len(rows))]
    return pa.array(written, pa.string())


def _values(rng: np.random.Generator, police: PoliceStandard, start: date, incidents: Incidents,
            picks: dict[str, np.ndarray]) -> dict[str, pa.Array]:
    """Every contract column by contract name; times as epoch seconds (each file gives them their form)."""
    stations = _spelled(rng, police.street_station, police.street_station_full, incidents.street)
    unknown = picks["unknown_jurisdiction"]
    stations = replace_at(stations, unknown, list(rng.choice(still_unknown(UNKNOWN_STATIONS, police.street_station),
                                                             len(unknown))))
    stations = replace_at(stations, picks["missing_required"], [None] * len(picks["missing_required"]))
    types = _spelled(rng, police.type_names, police.type_spellings, incidents.incident_type)
    unknown = picks["unknown_type"]
    types = replace_at(types, unknown, list(rng.choice(still_unknown(UNKNOWN_TYPES, police.type_names),
                                                       len(unknown))))
    return {
        "incident_id": join(ID_PREFIX, day_tags(start, incidents.day), text(incidents.seq, 6)),
        "reported_at": pa.array(incidents.reported),
        "report_channel": pick(police.channel_names, incidents.channel),
        "incident_class": _spelled(rng, police.class_names, police.class_spellings,
                                   police.type_class[incidents.incident_type]),
        "incident_type": types,
        "jurisdiction": stations,
        "incident_address": pa.array(incidents.address, pa.string()),
        "disposal_result": with_nulls(pick(RESULTS, incidents.result), incidents.arrived >= 0),
        "arrived_at": pa.array(incidents.arrived, mask=incidents.arrived < 0),
        "closed_at": pa.array(incidents.closed, mask=incidents.closed < 0),
    }


def _file_bytes(contract: Contract, table: pa.Table, form: str, offset: int) -> bytes:
    """One day's extract with its time columns in `form`; `offset` turns epoch seconds into local wall-clock."""
    columns = {}
    for name in table.column_names:
        values = table.column(name)
        if name in TIME_COLUMNS:
            if form == "zoned":
                values = pc.multiply(values, 1000).cast(pa.timestamp("ms", tz=TIMEZONE))
            elif form == "local":
                values = pc.add(values, offset).cast(pa.timestamp("s"))
            else:
                values = slashed_timestamps(pc.add(pc.fill_null(values, 0), offset).to_numpy(),
                                            pc.is_valid(values).to_numpy(zero_copy_only=False))
        columns[contract.columns[name]] = values
    buffer = io.BytesIO()
    pq.write_table(pa.table(columns), buffer)
    return buffer.getvalue()


def _write_files(inbox: Path, contract: Contract, values: dict[str, pa.Array], incidents: Incidents,
                 picks: dict[str, np.ndarray], start: date, days: int) -> tuple[list[str], int]:
    """The daily files (a duplicate right after its original) and the number of records in the re-delivered one."""
    duplicate = picks["duplicate_record"]
    order, bounds = daily_layout(incidents.day, incidents.seq, duplicate, np.array([], np.int64), days)
    table = pa.table(values)
    ordered = pa.concat_tables([table, table.take(duplicate)]).combine_chunks().take(order)
    offsets = utc_offsets(start, days, TIMEZONE)
    contents = (_file_bytes(contract, ordered.slice(bounds[day], bounds[day + 1] - bounds[day]),
                            TIME_FORMS[day % len(TIME_FORMS)], int(offsets[day])) for day in range(days))
    resent_day, _ = special_days(days)
    files = write_daily_files(reset_folder(inbox / SOURCE), contract, start, contents, resent_day)
    return files, 0 if resent_day is None else int(bounds[resent_day + 1] - bounds[resent_day])


def _write_corrupt_file(inbox: Path, contract: Contract, values: dict[str, pa.Array], start: date,
                        days: int) -> str | None:
    """A second extract on the corrupt-file day, cut off half-way in transfer: not valid Parquet. Its records
    (copies of the first ones) never land; the file counts as one quarantined record."""
    _, day = special_days(days)
    if day is None:
        return None
    data = _file_bytes(contract, pa.table(values).slice(0, 3), TIME_FORMS[0], 0)
    name = contract.file_name(start + timedelta(days=day), CORRUPT_SUFFIX)
    (inbox / SOURCE / name).write_bytes(data[: len(data) // 2])
    return f"{SOURCE}/{name}"


def _expected(police: PoliceStandard, incidents: Incidents, picks: dict[str, np.ndarray], resent_rows: int,
              corrupt: bool) -> dict:
    """What the pipeline must find: every incident but those missing their station lands once."""
    n = len(incidents.day)
    quarantine = {"missing_required": len(picks["missing_required"]),
                  "duplicate_record": len(picks["duplicate_record"]), "duplicate_delivery": resent_rows,
                  "invalid_parquet": int(corrupt)}
    rows_written = n + len(picks["duplicate_record"]) + resent_rows + int(corrupt)
    lands = ~members(n, picks["missing_required"])
    located = lands & ~members(n, picks["unknown_jurisdiction"])
    typed = lands & ~members(n, picks["unknown_type"])
    district = np.array(police.street_district)[incidents.street[located]]
    codes, counts = np.unique(district, return_counts=True)
    # the street is the jurisdiction's street named in the address, or the only street of the jurisdiction
    stations = np.array(police.street_station)
    single = np.unique(stations, return_counts=True)
    single = set(single[0][single[1] == 1])
    named = np.char.find(incidents.address.astype(str), np.array(police.street_names)[incidents.street]) >= 0
    street_found = named | np.isin(stations[incidents.street], list(single))
    return {
        "rows_written": rows_written,
        "quarantine": quarantine,
        "landed": rows_written - sum(quarantine.values()),
        "distinct_incidents": int(lands.sum()),
        "unknown_jurisdiction": int((lands & members(n, picks["unknown_jurisdiction"])).sum()),
        "unknown_type": int((lands & members(n, picks["unknown_type"])).sum()),
        "incidents_by_district": dict(zip(codes.tolist(), counts.tolist())),
        "located_to_street": int((located & street_found).sum()),
        "with_category": int((typed & (np.array(police.type_category)[incidents.incident_type] != "")).sum()),
        "disputes": int((lands & police.class_is_dispute[police.type_class[incidents.incident_type]]).sum()),
        "closed": int((lands & (incidents.closed >= 0)).sum()),
        "attended": int((lands & (incidents.arrived >= 0)).sum()),
    }
