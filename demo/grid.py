"""Grid events: one JSON Lines file a day as the grid platform's API returns them (camelCase, epoch ms)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from demo.defects import DefectPicker, defect_counts, members, row_defect_days, special_days, still_unknown
from demo.delivery import daily_layout, reset_folder, write_daily_files
from demo.scenarios import REPORT, Scenario, ScenarioRecord, days_and_seqs, local_seconds, matter_ids
from demo.standard import CityStandard, Contract
from demo.values import day_starts, day_tags, join, pick, replace_at, seconds_of_day, text, utc_offsets, with_nulls
from pipelines.settings import TIMEZONE

SOURCE = "grid_events"
DEFAULT_SIZE = 150  # records per day
SCENARIO_ROLE = REPORT
ID_PREFIX = "SJ"
REPORTER_PREFIX = "WGY"
# Grid workers report on patrol, in working hours.
HOURLY_WEIGHTS = [0, 0, 0, 0, 0, 0, 0, 6, 10, 12, 12, 8, 6, 10, 12, 12, 10, 6, 2, 0, 0, 0, 0, 0]
# Share of events whose latest status is each lifecycle step (上报 ... 结案).
FINAL_STEP_SHARES = (0.03, 0.04, 0.05, 0.08, 0.05, 0.75)
# Mean minutes from one lifecycle step to the next (立案, 派遣, 处置, 核查, 结案).
STEP_GAP_MINUTES = (30, 60, 720, 360, 240)
# Approximate centre of the demo city: the seeds carry no coordinates. Spreads in degrees.
CITY_CENTRE = (119.45, 32.05)
DISTRICT_SPREAD, GRID_SPREAD, EVENT_SPREAD = 0.25, 0.02, 0.002
MICRO = 10**6
UNKNOWN_CATEGORIES = ["X0101", "Q9001", "A0199"]
# Picked in this order: the defects with the narrowest eligible rows first.
DEFECTS = ("re_export", "lifecycle_out_of_order", "duplicate_record", "malformed_json", "missing_required",
           "unknown_grid", "unknown_category")


@dataclass
class Events:
    """One event per element: epoch-ms times of every lifecycle step and the step it has reached."""

    day: np.ndarray
    seq: np.ndarray
    times: np.ndarray  # (n, steps)
    step: np.ndarray  # index of the latest step reached
    grid: np.ndarray
    category: np.ndarray
    reporter: np.ndarray
    location: np.ndarray  # (n, 2) longitude, latitude in micro-degrees

    def take(self, index: np.ndarray) -> Events:
        return Events(**{field.name: getattr(self, field.name)[index] for field in fields(self)})


def deliver(inbox: Path, std: CityStandard, rng: np.random.Generator, start: date, days: int, per_day: int,
            scenario: Scenario | None = None) -> dict:
    """Write the daily files into `<inbox>/<source>/` and return this source's ground truth."""
    contract = Contract.load(SOURCE)
    events = _clean_events(rng, std, start, days, per_day)
    picks = _pick_defects(rng, std, events, days)
    _shuffle_lifecycle(rng, events, picks["lifecycle_out_of_order"])
    values = _json_values(std, start, events)
    _untidy_values(rng, std, values, events, picks)
    lines = _truncate(_json_lines(contract, values), picks["malformed_json"])
    records = scenario.records_for(SOURCE) if scenario else []
    if records:
        extra = _scenario_events(std, scenario.rng_for(SOURCE), start, days, per_day, records)
        extra_values = _json_values(std, start, extra)
        extra_values["event_address"] = _quoted(pa.array([record.address for record in records], pa.string()))
        lines = pa.concat_arrays([lines, _json_lines(contract, extra_values)])
        events = Events(**{field.name: np.concatenate([getattr(events, field.name), getattr(extra, field.name)])
                           for field in fields(Events)})
    reexports = _reexport_lines(std, contract, start, events, picks["re_export"])
    files, resent_rows = _write_files(inbox, contract, lines, reexports, events, picks, start, days)
    injected = {name: len(rows) for name, rows in picks.items()} | {
        "redelivered_file": int(special_days(days)[0] is not None)}
    truth = {"files": files, "injected": injected, "expected": _expected(std, events, picks, resent_rows)}
    if scenario:
        first = len(events.day) - len(records)
        ids = [f"{ID_PREFIX}{(start + timedelta(days=int(day))):%Y%m%d}{seq:06d}"
               for day, seq in zip(events.day[first:], events.seq[first:])]
        truth["scenario_records"] = matter_ids(records, ids)
    return truth


def _scenario_events(std: CityStandard, rng: np.random.Generator, start: date, days: int, per_day: int,
                     records: list[ScenarioRecord]) -> Events:
    """One event per scenario record, in a grid of its community; numbered after the day's other events."""
    n = len(records)
    day, seq = days_and_seqs(records, start, per_day + 1)
    local = np.array([local_seconds(record.occurred_at) for record in records], dtype=np.int64)
    reported = (local - utc_offsets(start, days, TIMEZONE)[day]) * 1000
    gaps = rng.exponential(np.array(STEP_GAP_MINUTES) * 60_000, size=(n, len(STEP_GAP_MINUTES))).astype(np.int64)
    grids = [np.flatnonzero(np.array(std.grid_community) == record.community_code) for record in records]
    grid = np.array([options[rng.integers(len(options))] for options in grids], dtype=np.int64)
    last = len(std.grid_status_codes) - 1
    location = np.array(CITY_CENTRE) + rng.uniform(-DISTRICT_SPREAD, DISTRICT_SPREAD, size=(n, 2))
    return Events(
        day=day,
        seq=seq,
        times=np.cumsum(np.column_stack([reported, gaps + 60_000]), axis=1),
        step=np.array([last if record.is_closed else 2 for record in records], dtype=np.int64),
        grid=grid,
        category=np.array([std.grid_category_codes.index(std.category_values[SOURCE][record.category_code])
                           for record in records], dtype=np.int64),
        reporter=grid * 2,
        location=np.round(location * MICRO).astype(np.int64),
    )


def _clean_events(rng: np.random.Generator, std: CityStandard, start: date, days: int, per_day: int) -> Events:
    n = days * per_day
    day = np.repeat(np.arange(days), per_day)
    second = seconds_of_day(rng, n, HOURLY_WEIGHTS)
    local = day_starts(start, days)[day] + second[np.lexsort((second, day))]
    reported = (local - utc_offsets(start, days, TIMEZONE)[day]) * 1000 + rng.integers(0, 1000, size=n)
    gaps = rng.exponential(np.array(STEP_GAP_MINUTES) * 60_000, size=(n, len(STEP_GAP_MINUTES))).astype(np.int64)
    grid = rng.integers(0, len(std.grid_codes), size=n)
    jitter = rng.uniform(-EVENT_SPREAD, EVENT_SPREAD, size=(n, 2))
    return Events(
        day=day,
        seq=np.tile(np.arange(1, per_day + 1), days),
        times=np.cumsum(np.column_stack([reported, gaps + 60_000]), axis=1),
        step=rng.choice(len(std.grid_status_codes), size=n, p=FINAL_STEP_SHARES),
        grid=grid,
        category=rng.integers(0, len(std.grid_category_codes), size=n),
        reporter=grid * 2 + rng.integers(0, 2, size=n),
        location=np.round((_grid_locations(rng, std)[grid] + jitter) * MICRO).astype(np.int64),
    )


def _grid_locations(rng: np.random.Generator, std: CityStandard) -> np.ndarray:
    """(grids, 2) degrees: grids scattered around their district's centre."""
    district_centres = np.array(CITY_CENTRE) + rng.uniform(-DISTRICT_SPREAD, DISTRICT_SPREAD,
                                                           size=(len(std.district_codes), 2))
    return district_centres[std.grid_district] + rng.uniform(-GRID_SPREAD, GRID_SPREAD, size=(len(std.grid_codes), 2))


def _pick_defects(rng: np.random.Generator, std: CityStandard, events: Events, days: int) -> dict[str, np.ndarray]:
    allowed = row_defect_days(days)
    in_allowed_file = allowed[events.day]
    eligible = {
        "re_export": np.append(allowed[1:], False)[events.day] & (events.step < len(std.grid_status_codes) - 1),
        "lifecycle_out_of_order": in_allowed_file & (events.step >= 2),
    }
    picker = DefectPicker(rng, len(events.day))
    counts = defect_counts(DEFECTS, len(events.day), days)
    return {name: picker.pick(name, counts[name], eligible.get(name, in_allowed_file)) for name in DEFECTS}


def _shuffle_lifecycle(rng: np.random.Generator, events: Events, rows: np.ndarray) -> None:
    """The third step recorded before the second: a status history out of time order."""
    events.times[rows, 2] = events.times[rows, 1] - rng.integers(10, 120, size=len(rows)) * 60_000


def _quoted(values: pa.Array) -> pa.Array:
    """A JSON string literal."""
    escaped = pc.replace_substring(pc.replace_substring(values, "\\", "\\\\"), '"', '\\"')
    return join('"', escaped, '"')


def _decimal(micro: np.ndarray) -> pa.Array:
    return join(text(micro // MICRO), ".", text(micro % MICRO, 6))


def _json_values(std: CityStandard, start: date, events: Events) -> dict[str, pa.Array]:
    """Every contract column as its JSON text, keyed by contract column name (null: the key is left out)."""
    return {
        "event_id": _quoted(join(ID_PREFIX, day_tags(start, events.day), text(events.seq, 6))),
        "grid_code": _quoted(pick(std.grid_codes, events.grid)),
        "source_category": _quoted(pick(std.grid_category_codes, events.category)),
        "event_title": _quoted(join(pick(std.grid_names, events.grid), "：",
                                   pick(std.grid_category_titles, events.category), "问题")),
        "reported_at": text(events.times[:, 0]),
        "status_code": text(np.array(std.grid_status_codes)[events.step]),
        "status_history": _status_history(std, events),
        "event_address": pa.nulls(len(events.day), pa.string()),  # only scenario events carry one
        "reporter_id": _quoted(join(REPORTER_PREFIX, text(events.reporter, 6))),
        "longitude": _decimal(events.location[:, 0]),
        "latitude": _decimal(events.location[:, 1]),
    }


def _status_history(std: CityStandard, events: Events) -> pa.Array:
    entries = [with_nulls(join('{"status":', str(code), ',"time":', text(events.times[:, k]), "}"), events.step >= k)
               for k, code in enumerate(std.grid_status_codes)]
    return join("[", pc.binary_join_element_wise(*entries, ",", null_handling="skip"), "]")


def _json_lines(contract: Contract, values: dict[str, pa.Array]) -> pa.Array:
    """One JSON object per element, members in contract order; a dotted source path nests (location.lng)."""
    grouped: dict[str, list[tuple[str, pa.Array]]] = {}
    for name, path in contract.columns.items():
        head, _, leaf = path.partition(".")
        grouped.setdefault(head, []).append((leaf, values[name]))
    pieces = [join('"', key, '":', _member_value(parts)) for key, parts in grouped.items()]
    return join("{", pc.binary_join_element_wise(*pieces, ",", null_handling="skip"), "}")


def _member_value(parts: list[tuple[str, pa.Array]]) -> pa.Array:
    if len(parts) == 1 and not parts[0][0]:
        return parts[0][1]
    inner = [join('"', leaf, '":', value) for leaf, value in parts]
    return join("{", pc.binary_join_element_wise(*inner, ",", null_handling="skip"), "}")


def _untidy_values(rng: np.random.Generator, std: CityStandard, values: dict[str, pa.Array], events: Events,
                   picks: dict[str, np.ndarray]) -> None:
    """The defects that live in the delivered values only."""
    unknown = picks["unknown_grid"]
    values["grid_code"] = replace_at(values["grid_code"], unknown, _unknown_grid_codes(rng, std, events.grid[unknown]))
    unknown = picks["unknown_category"]
    codes = still_unknown(UNKNOWN_CATEGORIES, std.grid_category_codes)
    values["source_category"] = replace_at(values["source_category"], unknown,
                                           [f'"{code}"' for code in rng.choice(codes, size=len(unknown))])
    # Half send "gridCode": null, half leave the key out.
    missing = picks["missing_required"]
    values["grid_code"] = replace_at(values["grid_code"], missing,
                                     ["null" if k % 2 == 0 else None for k in range(len(missing))])


def _unknown_grid_codes(rng: np.random.Generator, std: CityStandard, grids: np.ndarray) -> list[str]:
    """15-digit codes in a real community that the grid register does not know (sequence 900-999)."""
    codes = [f"{std.grid_codes[grid][:12]}{rng.integers(900, 1000)}" for grid in grids]
    return [f'"{code}"' for code in still_unknown(codes, std.grid_codes)]


def _truncate(lines: pa.Array, rows: np.ndarray) -> pa.Array:
    """The API cut these objects off half-way: not JSON."""
    return replace_at(lines, rows, [line[: len(line) // 2] for line in lines.take(rows).to_pylist()])


def _reexport_lines(std: CityStandard, contract: Contract, start: date, events: Events, index: np.ndarray) -> pa.Array:
    """The next day's file repeats these events, now closed, with the rest of their status history."""
    advanced = events.take(index)
    advanced.step[:] = len(std.grid_status_codes) - 1
    return _json_lines(contract, _json_values(std, start, advanced))


def _write_files(inbox: Path, contract: Contract, lines: pa.Array, reexports: pa.Array, events: Events,
                 picks: dict[str, np.ndarray], start: date, days: int) -> tuple[list[str], int]:
    """The daily files and the number of records in the re-delivered one."""
    duplicate, reexport = picks["duplicate_record"], picks["re_export"]
    order, bounds = daily_layout(events.day, events.seq, duplicate, reexport, days)
    records = pa.concat_arrays([lines, lines.take(duplicate), reexports])
    resent_day, _ = special_days(days)
    contents = (
        "".join(line + "\n" for line in records.take(order[bounds[day]:bounds[day + 1]]).to_pylist())
        .encode(contract.encoding)
        for day in range(days)
    )
    files = write_daily_files(reset_folder(inbox / SOURCE), contract, start, contents, resent_day)
    return files, 0 if resent_day is None else int(bounds[resent_day + 1] - bounds[resent_day])


def _history_in_order(events: Events, step: np.ndarray) -> np.ndarray:
    """Each recorded status time is not earlier than the one before it."""
    backwards = np.diff(events.times, axis=1) < 0
    recorded = np.arange(1, events.times.shape[1]) <= step[:, None]
    return ~(backwards & recorded).any(axis=1)


def _expected(std: CityStandard, events: Events, picks: dict[str, np.ndarray], resent_rows: int) -> dict:
    """What the pipeline must find, from the records written: each event's landed, latest version."""
    n = len(events.day)
    quarantine = {"malformed_json": len(picks["malformed_json"]), "missing_required": len(picks["missing_required"]),
                  "duplicate_record": len(picks["duplicate_record"]), "duplicate_delivery": resent_rows}
    rows_written = n + len(picks["duplicate_record"]) + len(picks["re_export"]) + resent_rows
    lands = ~(members(n, picks["malformed_json"]) | members(n, picks["missing_required"]))
    step = events.step.copy()
    step[picks["re_export"]] = len(std.grid_status_codes) - 1
    known_grid = lands & ~members(n, picks["unknown_grid"])
    status = np.array(std.grid_status_codes)[step]
    by_district = np.bincount(std.grid_district[events.grid[known_grid]], minlength=len(std.district_codes))
    return {
        "rows_written": rows_written,
        "quarantine": quarantine,
        "landed": rows_written - sum(quarantine.values()),
        "distinct_events": int(lands.sum()),
        "unknown_grid": int((lands & members(n, picks["unknown_grid"])).sum()),
        "unknown_category": int((lands & members(n, picks["unknown_category"])).sum()),
        "events_by_district": dict(zip(std.district_codes, by_district.tolist())),
        "closed": int((lands & np.isin(status, list(std.closed_grid_statuses))).sum()),
        "lifecycle_out_of_order": int((lands & ~_history_in_order(events, step)).sum()),
    }
