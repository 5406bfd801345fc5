"""12345 hotline work orders: one GB18030 CSV export a day, Chinese headers, district written by name."""

from __future__ import annotations

import io
from dataclasses import dataclass, fields
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from demo.defects import DefectPicker, defect_counts, members, row_defect_days, special_days, still_unknown
from demo.delivery import daily_layout, reset_folder, write_daily_files
from demo.scenarios import REPORT, Scenario, ScenarioRecord, days_and_seqs, local_seconds, matter_ids
from demo.standard import (
    REQUEST_ACCEPTED, REQUEST_CLOSED, REQUEST_DISPATCHED, REQUEST_IN_PROGRESS, REQUEST_VISITED, CityStandard,
    Contract,
)
from demo.values import (
    address_texts, addresses, citizen_id_bodies, citizen_id_texts, day_starts, day_tags, decreasing_shares,
    district_spellings, join, mobile_numbers, person_indexes, person_names, phone_texts, pick, pick_within,
    replace_at, seconds_of_day, slashed_timestamps, text, untidy_code, with_nulls,
)

SOURCE = "hotline_12345"
DEFAULT_SIZE = 400  # records per day
SCENARIO_ROLE = REPORT
SCENARIO_REFERS_DISPUTES = True  # dispute requests go on to mediation (administrative mediation, 行政调解)
ID_PREFIX = "GD"
# Calls over the day: quiet at night, peaks mid-morning and mid-afternoon.
HOURLY_WEIGHTS = [1, 1, 1, 1, 1, 2, 4, 8, 14, 16, 15, 13, 10, 12, 14, 14, 12, 10, 8, 7, 6, 4, 3, 2]
STATUS_SHARES = {REQUEST_ACCEPTED: 0.04, REQUEST_DISPATCHED: 0.06, REQUEST_IN_PROGRESS: 0.15,
                 REQUEST_CLOSED: 0.30, REQUEST_VISITED: 0.45}
# A little above the ~80 % on-time target: a late response pushes a few planned on-time closings past the limit.
ON_TIME_SHARE = 0.82
ID_SHARE = 0.3
REPEAT_SHARE = 0.05
REPEAT_WINDOW_DAYS = 30
UNKNOWN_DISTRICTS = ["外地", "不详", "市外"]
UNKNOWN_CATEGORIES = ["宠物管理", "未归类", "综合事项"]
MISSING_COLUMNS = ("work_order_id", "accepted_at")
UNTIDY_COLUMNS = ("channel_name", "request_type_name", "source_category", "status_name")
# A malformed row: the address runs on after an unquoted comma.
EXTRA_FIELD = "3单元"
# Picked in this order: the defects with the narrowest eligible rows first.
DEFECTS = ("re_export", "lifecycle_out_of_order", "duplicate_record", "malformed_row", "missing_required",
           "district_variant", "unknown_district", "invalid_citizen_id", "unknown_category", "code_whitespace")


@dataclass
class Orders:
    """One work order per element: its true lifecycle (seconds, local wall clock) and its coded values."""

    day: np.ndarray
    seq: np.ndarray
    accepted: np.ndarray
    dispatched: np.ndarray
    responded: np.ndarray
    closed: np.ndarray
    status: np.ndarray
    channel: np.ndarray
    request_type: np.ndarray
    satisfaction: np.ndarray
    category: np.ndarray
    district: np.ndarray
    street: np.ndarray
    address: np.ndarray
    person: np.ndarray
    phone: np.ndarray
    has_id: np.ndarray
    id_body: np.ndarray
    id_shift: np.ndarray

    def take(self, index: np.ndarray) -> Orders:
        return Orders(**{field.name: getattr(self, field.name)[index] for field in fields(self)})


# The caller and the matter: what a repeat request shares with the earlier one.
CALLER_FIELDS = ("category", "district", "street", "address", "person", "phone", "has_id", "id_body")


def deliver(inbox: Path, std: CityStandard, rng: np.random.Generator, start: date, days: int, per_day: int,
            scenario: Scenario | None = None) -> dict:
    """Write the daily exports into `<inbox>/<source>/` and return this source's ground truth."""
    contract = Contract.load(SOURCE)
    orders = _clean_orders(rng, std, start, days, per_day)
    _add_repeat_requests(rng, orders, per_day)
    picks = _pick_defects(rng, std, orders, days)
    _corrupt_values(rng, orders, picks)
    columns = _format(rng, std, start, orders)
    _untidy_texts(rng, std, contract, columns, picks)
    table = pa.table({name: columns[name] for name in contract.columns})
    records = scenario.records_for(SOURCE) if scenario else []
    if records:
        extra, extra_table = _scenario_orders(std, scenario.rng_for(SOURCE), contract, start, per_day, records)
        orders = Orders(**{field.name: np.concatenate([getattr(orders, field.name), getattr(extra, field.name)])
                           for field in fields(Orders)})
        table = pa.concat_tables([table, extra_table])
    reexports = _reexport_rows(std, orders, table, picks["re_export"])
    files, resent_rows = _write_files(inbox, contract, table, reexports, orders, picks, start, days)
    resent_day, utf8_day = special_days(days)
    injected = {name: len(rows) for name, rows in picks.items()} | {
        "redelivered_file": int(resent_day is not None), "wrong_encoding_file": int(utf8_day is not None)}
    truth = {"files": files, "injected": injected, "expected": _expected(std, orders, picks, resent_rows)}
    if scenario:
        ids = table.column("work_order_id").to_pylist()[len(table) - len(records):]
        truth["scenario_records"] = matter_ids(records, ids)
    return truth


def _scenario_orders(std: CityStandard, rng: np.random.Generator, contract: Contract, start: date, per_day: int,
                     records: list[ScenarioRecord]) -> tuple[Orders, pa.Table]:
    """One work order per scenario record, with its values; numbered after the day's other work orders."""
    n = len(records)
    day, seq = days_and_seqs(records, start, per_day + 1)
    accepted = np.array([local_seconds(record.occurred_at) for record in records], dtype=np.int64)
    dispatched = accepted + 60 + rng.integers(0, 1800, size=n)
    responded = dispatched + 600 + rng.integers(0, 3600, size=n)
    closed = responded + rng.integers(3600, 12 * 3600, size=n)
    is_closed = np.array([record.is_closed for record in records])
    status = np.where(is_closed, np.where(rng.random(n) < 0.5, REQUEST_VISITED, REQUEST_CLOSED), REQUEST_IN_PROGRESS)
    category = [std.hotline_categories.index(std.category_values[SOURCE][record.category_code]) for record in records]
    orders = Orders(
        day=day, seq=seq, accepted=accepted, dispatched=dispatched, responded=responded, closed=closed,
        status=status,
        channel=rng.integers(0, len(std.channel_names), size=n),
        request_type=rng.integers(0, len(std.request_type_names), size=n),
        satisfaction=rng.integers(0, len(std.satisfaction_names), size=n),
        category=np.array(category, dtype=np.int64),
        district=np.array([std.district_codes.index(record.district_code) for record in records], dtype=np.int64),
        street=np.array([std.street_codes.index(record.street_code) for record in records], dtype=np.int64),
        address=addresses(rng, n),
        person=person_indexes(rng, n),
        phone=mobile_numbers(rng, n),
        has_id=np.zeros(n, dtype=bool),
        id_body=citizen_id_bodies(rng, n, std.id_address_codes),
        id_shift=np.zeros(n, dtype=np.int64),
    )
    columns = _format(rng, std, start, orders)
    columns["incident_address"] = pa.array([record.address for record in records], pa.string())
    return orders, pa.table({name: columns[name] for name in contract.columns})


def _clean_orders(rng: np.random.Generator, std: CityStandard, start: date, days: int, per_day: int) -> Orders:
    if set(STATUS_SHARES) != set(std.request_status_names):
        raise ValueError("std_request_status no longer holds the lifecycle status codes the generator writes")
    n = days * per_day
    day = np.repeat(np.arange(days), per_day)
    second = seconds_of_day(rng, n, HOURLY_WEIGHTS)
    accepted = day_starts(start, days)[day] + second[np.lexsort((second, day))]
    types = len(std.request_type_names)
    request_type = rng.choice(types, size=n, p=decreasing_shares(types, 0.7))
    dispatched = accepted + 60 + rng.exponential(20 * 60, size=n).astype(np.int64)
    responded = dispatched + 600 + rng.exponential(2 * 3600, size=n).astype(np.int64)
    district = rng.choice(len(std.district_codes), size=n, p=rng.dirichlet(np.full(len(std.district_codes), 5.0)))
    category_shares = rng.dirichlet(np.full(len(std.hotline_categories), 2.0))
    return Orders(
        day=day,
        seq=np.tile(np.arange(1, per_day + 1), days),
        accepted=accepted,
        dispatched=dispatched,
        responded=responded,
        closed=_closing_times(rng, std, request_type, accepted, responded),
        status=rng.choice(list(STATUS_SHARES), size=n, p=list(STATUS_SHARES.values())),
        channel=rng.choice(len(std.channel_names), size=n, p=decreasing_shares(len(std.channel_names), 0.45)),
        request_type=request_type,
        satisfaction=rng.choice(len(std.satisfaction_names), size=n,
                                p=decreasing_shares(len(std.satisfaction_names), 0.3)),
        category=rng.choice(len(std.hotline_categories), size=n, p=category_shares),
        district=district,
        street=pick_within(rng, std.street_district, district),
        address=addresses(rng, n),
        person=person_indexes(rng, n),
        phone=mobile_numbers(rng, n),
        has_id=rng.random(n) < ID_SHARE,
        id_body=citizen_id_bodies(rng, n, std.id_address_codes),
        id_shift=np.zeros(n, dtype=np.int64),
    )


def _closing_times(rng: np.random.Generator, std: CityStandard, request_type: np.ndarray, accepted: np.ndarray,
                   responded: np.ndarray) -> np.ndarray:
    """Most work orders close within their type's time limit, the rest up to 2.5 times later."""
    n = len(accepted)
    limit = (std.time_limit_hours[request_type] * 3600).astype(np.int64)
    share = np.where(rng.random(n) < ON_TIME_SHARE, rng.uniform(0.15, 0.95, size=n), rng.uniform(1.05, 2.5, size=n))
    return np.maximum(accepted + (limit * share).astype(np.int64), responded + 600)


def _add_repeat_requests(rng: np.random.Generator, orders: Orders, per_day: int) -> None:
    """Some callers ask again about the same matter in the same district within the repeat window."""
    later = np.flatnonzero(orders.day >= 1)
    repeat = later[rng.random(len(later)) < REPEAT_SHARE]
    first_row_of_day = np.arange(orders.day.max() + 1) * per_day
    window_start = np.maximum(orders.day[repeat] - (REPEAT_WINDOW_DAYS - 1), 0)
    earlier = rng.integers(first_row_of_day[window_start], first_row_of_day[orders.day[repeat]])
    for name in CALLER_FIELDS:
        values = getattr(orders, name)
        values[repeat] = values[earlier]


def _pick_defects(rng: np.random.Generator, std: CityStandard, orders: Orders, days: int) -> dict[str, np.ndarray]:
    allowed = row_defect_days(days)
    in_allowed_file = allowed[orders.day]
    is_closed = np.isin(orders.status, list(std.closed_request_statuses))
    eligible = {
        # the base stays clean in its own file; the advanced copy goes into the next day's file
        "re_export": np.append(allowed[1:], False)[orders.day] & ~is_closed,
        "lifecycle_out_of_order": in_allowed_file & is_closed,
    }
    picker = DefectPicker(rng, len(orders.day))
    counts = defect_counts(DEFECTS, len(orders.day), days)
    return {name: picker.pick(name, counts[name], eligible.get(name, in_allowed_file)) for name in DEFECTS}


def _corrupt_values(rng: np.random.Generator, orders: Orders, picks: dict[str, np.ndarray]) -> None:
    invalid = picks["invalid_citizen_id"]
    orders.has_id[invalid] = True
    orders.id_shift[invalid] = rng.integers(1, 11, size=len(invalid))
    backwards = picks["lifecycle_out_of_order"]
    orders.closed[backwards] = orders.dispatched[backwards] - rng.integers(600, 7200, size=len(backwards))


def _format(rng: np.random.Generator, std: CityStandard, start: date, orders: Orders) -> dict[str, pa.Array]:
    """Every contract column as delivered text, keyed by contract column name."""
    category = pick(std.hotline_categories, orders.category)
    request_type = pick(std.request_type_names, orders.request_type)
    district = pick(std.district_names, orders.district)
    return {
        "work_order_id": join(ID_PREFIX, day_tags(start, orders.day), text(orders.seq, 6)),
        "accepted_at": slashed_timestamps(orders.accepted),
        "channel_name": pick(std.channel_names, orders.channel),
        "request_type_name": request_type,
        "source_category": category,
        "request_title": join("关于", category, "的", request_type),
        "district_name": district,
        "incident_address": address_texts(std.city_name, district, pick(std.street_names, orders.street),
                                          orders.address),
        "caller_name": person_names(orders.person),
        "caller_phone": phone_texts(rng, orders.phone),
        "caller_id_number": _id_texts(orders),
        **_lifecycle_texts(std, orders),
    }


def _id_texts(orders: Orders) -> pa.Array:
    present = orders.has_id
    ids = citizen_id_texts(orders.id_body[present], orders.id_shift[present])
    return pc.replace_with_mask(pa.nulls(len(present), pa.string()), pa.array(present), ids)


def _lifecycle_texts(std: CityStandard, orders: Orders) -> dict[str, pa.Array]:
    """Status and the times it implies: an open work order has no closing time, only a visited one a rating."""
    status = orders.status
    codes = sorted(std.request_status_names)
    return {
        "dispatched_at": slashed_timestamps(orders.dispatched, status >= REQUEST_DISPATCHED),
        "responded_at": slashed_timestamps(orders.responded, status >= REQUEST_IN_PROGRESS),
        "closed_at": slashed_timestamps(orders.closed, status >= REQUEST_CLOSED),
        "status_name": pick([std.request_status_names[code] for code in codes], np.searchsorted(codes, status)),
        "satisfaction_name": with_nulls(pick(std.satisfaction_names, orders.satisfaction),
                                        status == REQUEST_VISITED),
    }


def _untidy_texts(rng: np.random.Generator, std: CityStandard, contract: Contract, columns: dict[str, pa.Array],
                  picks: dict[str, np.ndarray]) -> None:
    """The defects that live in the delivered text only."""
    variant = picks["district_variant"]
    current = columns["district_name"].take(variant).to_pylist()
    spellings = [district_spellings(std.city_name, name, std.district_codes[std.district_names.index(name)])
                 for name in current]
    columns["district_name"] = replace_at(columns["district_name"], variant,
                                          [options[rng.integers(len(options))] for options in spellings])
    unknown = picks["unknown_district"]
    names = still_unknown(UNKNOWN_DISTRICTS, std.district_names)
    columns["district_name"] = replace_at(columns["district_name"], unknown,
                                          [str(name) for name in rng.choice(names, size=len(unknown))])
    unknown = picks["unknown_category"]
    names = still_unknown(UNKNOWN_CATEGORIES, std.hotline_categories)
    columns["source_category"] = replace_at(columns["source_category"], unknown,
                                            [str(name) for name in rng.choice(names, size=len(unknown))])
    _untidy_codes(rng, columns, picks["code_whitespace"])
    missing = picks["missing_required"]
    for k, name in enumerate(MISSING_COLUMNS):
        if name not in contract.required:
            raise ValueError(f"{name} is no longer required by the {SOURCE} contract")
        blank = missing[k::len(MISSING_COLUMNS)]
        columns[name] = replace_at(columns[name], blank, [None] * len(blank))


def _untidy_codes(rng: np.random.Generator, columns: dict[str, pa.Array], rows: np.ndarray) -> None:
    target = rng.integers(0, len(UNTIDY_COLUMNS), size=len(rows))
    for k, name in enumerate(UNTIDY_COLUMNS):
        chosen = rows[target == k]
        untidy = [untidy_code(rng, value) for value in columns[name].take(chosen).to_pylist()]
        columns[name] = replace_at(columns[name], chosen, untidy)


def _reexport_rows(std: CityStandard, orders: Orders, table: pa.Table, index: np.ndarray) -> pa.Table:
    """The next day's export repeats these work orders, now closed, with the rest of their lifecycle."""
    advanced = orders.take(index)
    advanced.status[:] = REQUEST_CLOSED
    rows = table.take(index)
    for name, values in _lifecycle_texts(std, advanced).items():
        rows = rows.set_column(rows.schema.get_field_index(name), name, values)
    return rows


def _write_files(inbox: Path, contract: Contract, table: pa.Table, reexports: pa.Table, orders: Orders,
                 picks: dict[str, np.ndarray], start: date, days: int) -> tuple[list[str], int]:
    """The daily files and the number of records in the re-delivered one."""
    duplicate, reexport = picks["duplicate_record"], picks["re_export"]
    order, bounds = daily_layout(orders.day, orders.seq, duplicate, reexport, days)
    records = pa.concat_tables([table, table.take(duplicate), reexports]).take(order)
    malformed = members(len(order), picks["malformed_row"])[order]
    resent_day, utf8_day = special_days(days)
    contents = (
        _csv_text(contract, records.slice(bounds[day], bounds[day + 1] - bounds[day]),
                  np.flatnonzero(malformed[bounds[day]:bounds[day + 1]]))
        .encode("utf-8" if day == utf8_day else contract.encoding)
        for day in range(days)
    )
    files = write_daily_files(reset_folder(inbox / SOURCE), contract, start, contents, resent_day)
    return files, 0 if resent_day is None else int(bounds[resent_day + 1] - bounds[resent_day])


def _csv_text(contract: Contract, rows: pa.Table, malformed: np.ndarray) -> str:
    buffer = io.BytesIO()
    # No quoting: the export tool never quotes, and pyarrow refuses a value that would need it.
    pa_csv.write_csv(rows, buffer, pa_csv.WriteOptions(include_header=False, quoting_style="none"))
    body = buffer.getvalue().decode("utf-8")
    if len(malformed):
        lines = body.split("\n")
        address = list(contract.columns).index("incident_address")
        for row in malformed:
            cells = lines[row].split(",")
            lines[row] = ",".join(cells[: address + 1] + [EXTRA_FIELD] + cells[address + 1:])
        body = "\n".join(lines)
    return ",".join(contract.headers()) + "\n" + body


def _lifecycle_in_order(orders: Orders, status: np.ndarray) -> np.ndarray:
    """Each time present is not earlier than the previous time present."""
    in_order = np.ones(len(status), dtype=bool)
    previous = orders.accepted
    for times, reached in ((orders.dispatched, status >= REQUEST_DISPATCHED),
                           (orders.responded, status >= REQUEST_IN_PROGRESS),
                           (orders.closed, status >= REQUEST_CLOSED)):
        in_order &= ~reached | (times >= previous)
        previous = np.where(reached, times, previous)
    return in_order


def _expected(std: CityStandard, orders: Orders, picks: dict[str, np.ndarray], resent_rows: int) -> dict:
    """What the pipeline must find, from the records written: each work order's landed, latest version."""
    n = len(orders.day)
    quarantine = {"malformed_row": len(picks["malformed_row"]), "missing_required": len(picks["missing_required"]),
                  "duplicate_record": len(picks["duplicate_record"]), "duplicate_delivery": resent_rows}
    rows_written = n + len(picks["duplicate_record"]) + len(picks["re_export"]) + resent_rows
    lands = ~(members(n, picks["malformed_row"]) | members(n, picks["missing_required"]))
    status = orders.status.copy()
    status[picks["re_export"]] = REQUEST_CLOSED
    unknown_district = members(n, picks["unknown_district"])
    closed = lands & np.isin(status, list(std.closed_request_statuses))
    due = orders.accepted + (std.time_limit_hours[orders.request_type] * 3600).astype(np.int64)
    by_district = np.bincount(orders.district[lands & ~unknown_district], minlength=len(std.district_codes))
    return {
        "rows_written": rows_written,
        "quarantine": quarantine,
        "landed": rows_written - sum(quarantine.values()),
        "distinct_work_orders": int(lands.sum()),
        "unknown_district": int((lands & unknown_district).sum()),
        "requests_by_district": dict(zip(std.district_codes, by_district.tolist())),
        "closed": int(closed.sum()),
        "closed_on_time": int((closed & (orders.closed <= due)).sum()),
        "invalid_citizen_id": int((lands & orders.has_id & (orders.id_shift != 0)).sum()),
        "unknown_category": int((lands & members(n, picks["unknown_category"])).sum()),
        "lifecycle_out_of_order": int((lands & ~_lifecycle_in_order(orders, status)).sum()),
    }
