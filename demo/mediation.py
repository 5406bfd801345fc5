"""People's mediation cases: one XLSX workbook a month from the justice bureau, dates written every which way."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from demo.defects import DefectPicker, defect_count, members, still_unknown
from demo.delivery import monthly_workbook, reset_folder
from demo.scenarios import MEDIATION, Scenario, ScenarioRecord, matter_ids
from demo.standard import OUTCOME_FAILURE, OUTCOME_SUCCESS, CityStandard, Contract
from demo.values import (
    citizen_id_bodies, citizen_id_texts, district_spellings, person_indexes, person_names, pick, pick_within,
)

SOURCE = "mediation_cases"
DEFAULT_SIZE = 300  # records per month
MIN_SIZE = 100  # fewer cases a month cannot carry every defect
SCENARIO_ROLE = MEDIATION
ID_PREFIX = "TJ"
COMMITTEE_SUFFIX = "人民调解委员会"
SUCCESS_SHARE = 0.85
PENDING_SHARE = 0.05  # cases still being mediated: no outcome, no closing date
AMOUNT_SHARE = 0.4  # successful agreements that fix a sum of money
LITIGATION_SHARE = 0.3  # failed mediations taken to court
MAX_DURATION_DAYS = 30
YES, NO = "是", "否"
# How the bureau's clerks write a date, each about a quarter of the cells.
DATE_FORMATS = ("excel_date", "iso_text", "chinese_text", "excel_serial")
EXCEL_EPOCH = date(1899, 12, 30)
UNKNOWN_DISTRICTS = ["外地", "不详"]
UNKNOWN_CATEGORIES = ["网络纠纷", "未分类"]
DEFECTS = ("duplicate_record", "missing_required", "district_variant", "unknown_district", "unknown_category",
           "invalid_citizen_id")


@dataclass
class Cases:
    """One case per element; dates are proleptic ordinals, parties are (applicant, respondent) pairs."""

    month: np.ndarray
    seq: np.ndarray
    accepted: np.ndarray
    closed: np.ndarray
    outcome: np.ndarray  # 0 while pending
    district: np.ndarray
    street: np.ndarray
    category: np.ndarray
    parties: np.ndarray  # (n, 2, 3) person indexes
    id_bodies: np.ndarray  # (n, 2)
    id_shifts: np.ndarray  # (n, 2), non-zero: a wrong check character
    amount: np.ndarray  # NaN: no amount
    referred: np.ndarray
    date_formats: np.ndarray  # (n, 2) index into DATE_FORMATS for accepted, closed
    referral: np.ndarray  # the id of the 12345 / 110 record that referred the case; None when the parties applied


def deliver(inbox: Path, std: CityStandard, rng: np.random.Generator, start: date, days: int,
            per_month: int, scenario: Scenario | None = None) -> dict:
    """Write the monthly workbooks into `<inbox>/<source>/` and return this source's ground truth."""
    contract = Contract.load(SOURCE)
    months = _months(start, days)
    cases = _clean_cases(rng, std, months, per_month)
    picks = _pick_defects(rng, len(cases.month))
    _corrupt_ids(rng, cases, picks["invalid_citizen_id"])
    rows = _rows(std, contract, cases, months)
    _untidy_cells(rng, std, contract, rows, cases, picks)
    records = scenario.records_for(SOURCE) if scenario else []
    if records:
        extra = _scenario_cases(std, scenario, months, np.bincount(cases.month, minlength=len(months)), records)
        rows += _rows(std, contract, extra, months)
        cases = Cases(**{field.name: np.concatenate([getattr(cases, field.name), getattr(extra, field.name)])
                         for field in fields(Cases)})
    files, written = _write_files(inbox, contract, rows, cases, picks["duplicate_record"], months)
    injected = {name: len(index) for name, index in picks.items()}
    truth = {"files": files, "injected": injected, "expected": _expected(std, contract, cases, picks, written)}
    if scenario:
        truth["scenario_records"] = matter_ids(records, [row[0] for row in rows[len(rows) - len(records):]])
    return truth


def _scenario_cases(std: CityStandard, scenario: Scenario, months: list[tuple[date, date, date]],
                    month_counts: np.ndarray, records: list[ScenarioRecord]) -> Cases:
    """One case per scenario record, referred by the dispute's first record; numbered after the month's cases."""
    rng, n = scenario.rng_for(SOURCE), len(records)
    accepted = np.array([record.occurred_at.date().toordinal() for record in records], dtype=np.int64)
    month = np.array([next(k for k, (_, first, last) in enumerate(months) if first <= date.fromordinal(day) <= last)
                      for day in accepted], dtype=np.int64)
    seq = np.zeros(n, dtype=np.int64)
    for k in np.unique(month):
        mine = np.flatnonzero(month == k)
        seq[mine] = month_counts[k] + 1 + np.arange(len(mine))
    outcome = np.array([{"success": OUTCOME_SUCCESS, "pending": 0}.get(record.outcome, OUTCOME_FAILURE)
                        for record in records], dtype=np.int64)
    return Cases(
        month=month, seq=seq, accepted=accepted, closed=accepted + rng.integers(3, 21, size=n), outcome=outcome,
        district=np.array([std.district_codes.index(record.district_code) for record in records], dtype=np.int64),
        street=np.array([std.street_codes.index(record.street_code) for record in records], dtype=np.int64),
        category=rng.integers(0, len(std.mediation_categories), size=n),
        parties=np.stack([person_indexes(rng, n), person_indexes(rng, n)], axis=1),
        id_bodies=np.column_stack([citizen_id_bodies(rng, n, std.id_address_codes) for _ in range(2)]),
        id_shifts=np.zeros((n, 2), dtype=np.int64),
        amount=np.full(n, np.nan),
        referred=np.array([record.outcome == "litigation" for record in records]),
        date_formats=rng.integers(0, len(DATE_FORMATS), size=(n, 2)),
        referral=np.array([scenario.referral_id(record.matter_id) for record in records], dtype=object),
    )


def _months(start: date, days: int) -> list[tuple[date, date, date]]:
    """(first of month, first day, last day) of every month the window touches, clipped to the window."""
    end = start + timedelta(days=days - 1)
    months, first = [], start
    while first <= end:
        next_month = (first.replace(day=1) + timedelta(days=32)).replace(day=1)
        months.append((first.replace(day=1), first, min(end, next_month - timedelta(days=1))))
        first = next_month
    return months


def _case_counts(months: list[tuple[date, date, date]], per_month: int) -> np.ndarray:
    """A month the window covers only in part gets its share of cases, at least one."""
    counts = []
    for month_start, first, last in months:
        month_days = ((month_start + timedelta(days=32)).replace(day=1) - month_start).days
        counts.append(max(1, round(per_month * ((last - first).days + 1) / month_days)))
    return np.array(counts)


def _clean_cases(rng: np.random.Generator, std: CityStandard, months: list[tuple[date, date, date]],
                 per_month: int) -> Cases:
    counts = _case_counts(months, per_month)
    n = int(counts.sum())
    month = np.repeat(np.arange(len(months)), counts)
    first = np.array([m[1].toordinal() for m in months])[month]
    span = np.array([(m[2] - m[1]).days + 1 for m in months])[month]
    accepted = np.sort(first + (rng.random(n) * span).astype(np.int64))  # months are consecutive: sorting keeps them
    outcome = np.where(rng.random(n) < SUCCESS_SHARE, OUTCOME_SUCCESS, OUTCOME_FAILURE)
    outcome[rng.random(n) < PENDING_SHARE] = 0
    district = rng.integers(0, len(std.district_codes), size=n)
    amount = np.round(rng.lognormal(np.log(8000), 1.0, size=n) * 2) / 2
    return Cases(
        month=month,
        seq=np.concatenate([np.arange(1, count + 1) for count in counts]),
        accepted=accepted,
        closed=accepted + rng.integers(0, MAX_DURATION_DAYS + 1, size=n),
        outcome=outcome,
        district=district,
        street=pick_within(rng, std.street_district, district),
        category=rng.integers(0, len(std.mediation_categories), size=n),
        parties=np.stack([person_indexes(rng, n), person_indexes(rng, n)], axis=1),
        id_bodies=np.column_stack([citizen_id_bodies(rng, n, std.id_address_codes) for _ in range(2)]),
        id_shifts=np.zeros((n, 2), dtype=np.int64),
        amount=np.where((outcome == OUTCOME_SUCCESS) & (rng.random(n) < AMOUNT_SHARE), amount, np.nan),
        referred=(outcome == OUTCOME_FAILURE) & (rng.random(n) < LITIGATION_SHARE),
        date_formats=rng.integers(0, len(DATE_FORMATS), size=(n, 2)),
        referral=np.full(n, None, dtype=object),
    )


def _pick_defects(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    picker = DefectPicker(rng, n)
    every_row = np.ones(n, dtype=bool)
    return {name: picker.pick(name, defect_count(n), every_row) for name in DEFECTS}


def _corrupt_ids(rng: np.random.Generator, cases: Cases, rows: np.ndarray) -> None:
    """One party's ID gets a wrong check character."""
    party = rng.integers(0, 2, size=len(rows))
    cases.id_shifts[rows, party] = rng.integers(1, 11, size=len(rows))


def _date_cell(ordinal: int, date_format: int) -> date | str | int:
    day = date.fromordinal(ordinal)
    cells = (day, day.isoformat(), f"{day.year}年{day.month}月{day.day}日", (day - EXCEL_EPOCH).days)
    return cells[date_format]


def _rows(std: CityStandard, contract: Contract, cases: Cases, months: list[tuple[date, date, date]]) -> list[list]:
    """One list of cell values per case, in contract column order (None: an empty cell)."""
    closed = cases.outcome != 0
    street = pick(std.street_names, cases.street).to_pylist()
    month_tags = [month_start.strftime("%Y%m") for month_start, _, _ in months]
    columns = {
        "case_id": [f"{ID_PREFIX}{month_tags[month]}{seq:05d}" for month, seq in zip(cases.month, cases.seq)],
        "accepted_date": [_date_cell(int(day), int(fmt)) for day, fmt in zip(cases.accepted, cases.date_formats[:, 0])],
        "mediation_committee": [name + COMMITTEE_SUFFIX for name in street],
        "district_name": pick(std.district_names, cases.district).to_pylist(),
        "street_name": street,
        "source_category": pick(std.mediation_categories, cases.category).to_pylist(),
        "applicant_name": person_names(cases.parties[:, 0]).to_pylist(),
        "applicant_id_number": citizen_id_texts(cases.id_bodies[:, 0], cases.id_shifts[:, 0]).to_pylist(),
        "respondent_name": person_names(cases.parties[:, 1]).to_pylist(),
        "respondent_id_number": citizen_id_texts(cases.id_bodies[:, 1], cases.id_shifts[:, 1]).to_pylist(),
        "outcome_name": [std.outcome_names.get(int(code)) for code in cases.outcome],
        "closed_date": [_date_cell(int(day), int(fmt)) if is_closed else None
                        for day, fmt, is_closed in zip(cases.closed, cases.date_formats[:, 1], closed)],
        "agreement_amount": [None if np.isnan(value) else (int(value) if value.is_integer() else float(value))
                             for value in cases.amount],
        "is_referred_to_litigation": [(YES if referred else NO) if is_closed else None
                                   for referred, is_closed in zip(cases.referred, closed)],
        "referral_record_id": list(cases.referral),
    }
    return [list(row) for row in zip(*(columns[name] for name in contract.columns))]


def _untidy_cells(rng: np.random.Generator, std: CityStandard, contract: Contract, rows: list[list], cases: Cases,
                  picks: dict[str, np.ndarray]) -> None:
    """The defects that live in the delivered cells only."""
    position = {name: k for k, name in enumerate(contract.columns)}
    for row in picks["district_variant"]:
        district = cases.district[row]
        spellings = district_spellings(std.city_name, std.district_names[district], std.district_codes[district])
        rows[row][position["district_name"]] = spellings[rng.integers(len(spellings))]
    districts = still_unknown(UNKNOWN_DISTRICTS, std.district_names)
    for row in picks["unknown_district"]:
        rows[row][position["district_name"]] = str(rng.choice(districts))
        # No street either: a known street would tell the district after all.
        rows[row][position["street_name"]] = None
    categories = still_unknown(UNKNOWN_CATEGORIES, std.mediation_categories)
    for row in picks["unknown_category"]:
        rows[row][position["source_category"]] = str(rng.choice(categories))
    for row in picks["missing_required"]:
        rows[row][position["case_id"]] = None


def _write_files(inbox: Path, contract: Contract, rows: list[list], cases: Cases, duplicate: np.ndarray,
                 months: list[tuple[date, date, date]]) -> tuple[list[str], list[list]]:
    """One workbook a month, each duplicate right after its original; returns the files and every row written."""
    folder = reset_folder(inbox / SOURCE)
    copies = members(len(rows), duplicate)
    files, written = [], []
    for k, (month_start, _, _) in enumerate(months):
        month_rows = []
        for row in np.flatnonzero(cases.month == k):
            month_rows += [rows[row], rows[row]] if copies[row] else [rows[row]]
        name = contract.file_name(month_start)
        (folder / name).write_bytes(monthly_workbook(contract, month_rows, month_start))
        files.append(f"{SOURCE}/{name}")
        written += month_rows
    return files, written


def _date_format_counts(contract: Contract, written: list[list]) -> dict[str, int]:
    """How often each date format occurs among the date cells written (duplicates included)."""
    positions = [k for k, name in enumerate(contract.columns) if name in ("accepted_date", "closed_date")]
    counts = dict.fromkeys(DATE_FORMATS, 0)
    for row in written:
        for k in positions:
            cell = row[k]
            if isinstance(cell, date):
                counts["excel_date"] += 1
            elif isinstance(cell, int):
                counts["excel_serial"] += 1
            elif isinstance(cell, str):
                counts["chinese_text" if "年" in cell else "iso_text"] += 1
    return counts


def _expected(std: CityStandard, contract: Contract, cases: Cases, picks: dict[str, np.ndarray],
              written: list[list]) -> dict:
    """What the pipeline must find, from the records written (a case is delivered once, so it is its own latest)."""
    n = len(cases.month)
    quarantine = {"missing_required": len(picks["missing_required"]),
                  "duplicate_record": len(picks["duplicate_record"])}
    lands = ~members(n, picks["missing_required"])
    unknown_district = members(n, picks["unknown_district"])
    by_district = np.bincount(cases.district[lands & ~unknown_district], minlength=len(std.district_codes))
    return {
        "rows_written": len(written),
        "quarantine": quarantine,
        "landed": len(written) - sum(quarantine.values()),
        "distinct_cases": int(lands.sum()),
        "cases_by_district": dict(zip(std.district_codes, by_district.tolist())),
        "unknown_district": int((lands & unknown_district).sum()),
        "unknown_category": int((lands & members(n, picks["unknown_category"])).sum()),
        "mediation_success": int((lands & (cases.outcome == OUTCOME_SUCCESS)).sum()),
        "invalid_citizen_id": int((lands & (cases.id_shifts != 0).any(axis=1)).sum()),
        "date_formats": _date_format_counts(contract, written),
    }
