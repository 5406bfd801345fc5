"""Emergency events: one JSON document a day from the emergency management bureau's platform, an array of events,
each with its response steps through the three-level command (市 / 区 / 街道).

The platform writes severities as Roman numerals, ASCII numerals or labels (Ⅳ级, IV, 一般), event types with or
without 类, districts by any name variant, and step times as ISO text, epoch milliseconds or local text.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

from demo.defects import DefectPicker, defect_counts, members, row_defect_days, special_days, still_unknown
from demo.delivery import reset_folder, write_daily_files
from demo.standard import CityStandard, Contract, read_seed
from demo.values import ROADS, day_starts, district_spellings, seconds_of_day, utc_offsets
from pipelines.settings import TIMEZONE

SOURCE = "emergency_events"
DEFAULT_SIZE = 20  # events per day
MIN_SIZE = 6  # one row of every defect in a one-day demo
ID_PREFIX = "YJ"
HOURLY_WEIGHTS = [2, 1, 1, 1, 1, 2, 3, 5, 6, 6, 6, 6, 5, 5, 6, 6, 6, 6, 5, 4, 4, 3, 3, 2]
SEVERITY_SHARES = (0.01, 0.07, 0.22, 0.70)  # I, II, III, IV
# The command level that starts the response, by severity I..IV (std_command_level ranks: 3 市, 2 区, 1 街道).
START_RANK = (3, 3, 2, 1)
ESCALATION_SHARE = 0.15
REPORT_MINUTES, RESPONSE_MINUTES, STEP_MINUTES = 10, 25, 40  # mean minutes between the stages
VARIANT_SHARE = 0.3  # a district, type or severity written another way
TYPE_TITLES = {"自然灾害": "内涝", "事故灾难": "火灾", "公共卫生事件": "食物中毒", "社会安全事件": "聚集事件"}
UNKNOWN_DISTRICTS = ["城东新区", "高新技术产业开发区"]
UNKNOWN_SEVERITIES = ["V级", "待定"]
CORRUPT_SUFFIX = "_part2"
# Picked in this order; every defective record carries exactly one defect.
DEFECTS = ("duplicate_record", "malformed_json", "missing_required", "unknown_district", "unknown_severity")


@dataclass(frozen=True)
class EmergencyStandard:
    type_names: list[str]
    type_spellings: dict[str, list[str]]
    severity_names: list[str]  # I级 .. IV级, by level 1..4
    severity_spellings: dict[str, list[str]]
    level_names: dict[int, str]  # rank -> 市 / 区 / 街道
    level_codes: dict[int, str]
    action_names: dict[str, str]  # 上报 ... by role
    streets: list[dict[str, str]]

    @classmethod
    def load(cls) -> EmergencyStandard:
        types = read_seed("standard/std_emergency_event_type.csv")
        severities = sorted(read_seed("standard/std_emergency_severity.csv"), key=lambda row: int(row["severity_code"]))
        levels = read_seed("standard/std_command_level.csv")
        actions = {row["response_action_code"]: row["response_action_name"]
                   for row in read_seed("standard/std_response_action.csv")}
        return cls(
            type_names=[row["event_type_name"] for row in types],
            type_spellings=_spellings("map_event_type__emergency_events", {r["event_type_code"]: r["event_type_name"]
                                                                           for r in types}),
            severity_names=[row["severity_name"] for row in severities],
            severity_spellings=_spellings("map_severity__emergency_events", {r["severity_code"]: r["severity_name"]
                                                                             for r in severities}),
            level_names={int(row["command_rank"]): row["command_level_name"] for row in levels},
            level_codes={int(row["command_rank"]): row["command_level_code"] for row in levels},
            action_names={"report": actions["1"], "start": actions["2"], "escalate": actions["3"],
                          "handle": actions["4"], "end": actions["5"]},
            streets=read_seed("standard/std_division_street.csv"),
        )


def _spellings(seed: str, names: dict[str, str]) -> dict[str, list[str]]:
    """standard name -> the platform's other spellings (mapping seed)."""
    spellings: dict[str, list[str]] = {}
    for row in read_seed(f"mappings/{seed}.csv"):
        spellings.setdefault(names[row["standard_code"]], []).append(row["source_value"])
    return spellings


def deliver(inbox: Path, std: CityStandard, rng: np.random.Generator, start: date, days: int, per_day: int,
            scenario=None) -> dict:
    """Write the daily JSON documents into `<inbox>/<source>/` and return this source's ground truth. Emergencies
    take no part in the cross-channel scenario (`scenario` is accepted and not used)."""
    contract = Contract.load(SOURCE)
    emergency = EmergencyStandard.load()
    district_index = {code: i for i, code in enumerate(std.district_codes)}
    n = days * per_day
    day = np.repeat(np.arange(days), per_day)
    picker = DefectPicker(rng, n)
    counts = defect_counts(DEFECTS, n, days)
    allowed = row_defect_days(days)[day]
    picks = {name: picker.pick(name, counts[name], allowed) for name in DEFECTS}
    second = seconds_of_day(rng, n, HOURLY_WEIGHTS)
    occurred = (day_starts(start, days)[day] + second[np.lexsort((second, day))]
                - utc_offsets(start, days, TIMEZONE)[day])
    events = [_event(rng, std, emergency, district_index, start, int(d), k % per_day + 1, int(t))
              for k, (d, t) in enumerate(zip(day, occurred))]
    picked = {name: set(rows.tolist()) for name, rows in picks.items()}
    elements = [_untidy(rng, std, emergency, event, picked, k) for k, event in enumerate(events)]
    files, resent_rows = _write_files(inbox, contract, elements, day, picks["duplicate_record"], start, days)
    corrupt = _write_corrupt_file(inbox, contract, elements, start, days)
    injected = {name: len(rows) for name, rows in picks.items()} | {
        "redelivered_file": int(special_days(days)[0] is not None), "corrupt_file": int(corrupt is not None)}
    return {"files": sorted(files + ([corrupt] if corrupt else [])), "injected": injected,
            "expected": _expected(events, picks, resent_rows, corrupt is not None)}


def _iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, ZoneInfo(TIMEZONE)).isoformat()


def _local(epoch: int, pattern: str) -> str:
    return datetime.fromtimestamp(epoch, ZoneInfo(TIMEZONE)).strftime(pattern)


def _event(rng: np.random.Generator, std: CityStandard, emergency: EmergencyStandard, district_index: dict,
           start: date, day: int, seq: int, occurred: int) -> dict:
    """One event as the platform exports it, with the facts the ground truth needs under `_truth`."""
    street = emergency.streets[rng.integers(0, len(emergency.streets))]
    level = int(rng.choice(4, p=SEVERITY_SHARES)) + 1
    kind = emergency.type_names[rng.integers(0, len(emergency.type_names))]
    reported = occurred + 60 + int(rng.exponential(REPORT_MINUTES * 60))
    rank = START_RANK[level - 1]
    escalated = rank < max(emergency.level_names) and rng.random() < ESCALATION_SHARE
    names = emergency.action_names
    plan = [(reported + 120, 1, names["report"]), (reported + 300 + int(rng.exponential(RESPONSE_MINUTES * 60)),
                                                    rank, names["start"])]
    if escalated:
        rank += 1
        plan.append((plan[-1][0] + 600 + int(rng.exponential(STEP_MINUTES * 60)), rank, names["escalate"]))
    for _ in range(int(rng.integers(1, 3))):
        plan.append((plan[-1][0] + 300 + int(rng.exponential(STEP_MINUTES * 60)), rank, names["handle"]))
    plan.append((plan[-1][0] + 1800 + int(rng.exponential(STEP_MINUTES * 60)), rank, names["end"]))
    short = re.sub("(街道|镇|乡|管委会|办事处)$", "", street["street_name"])
    units = {1: f"{street['street_name']}应急办", 2: f"{std.district_names[district_index[street['district_code']]]}"
             f"应急管理局", 3: f"{std.city_name}应急管理局"}
    district = std.district_names[district_index[street["district_code"]]]
    return {
        "eventId": f"{ID_PREFIX}{(start + timedelta(days=day)):%Y%m%d}{seq:04d}",
        "title": f"{short}{TYPE_TITLES.get(kind, '突发事件')}",
        "eventType": kind,
        "level": emergency.severity_names[level - 1],
        "occurTime": _local(occurred, "%Y-%m-%d %H:%M:%S"),
        "reportTime": _iso(reported) if rng.random() < 0.5 else _local(reported, "%Y/%m/%d %H:%M:%S"),
        "location": {"district": district, "street": street["street_name"],
                     "place": f"{short}{ROADS[rng.integers(0, len(ROADS))]}路"},
        "casualties": {"dead": int(rng.random() < 0.05 * (5 - level)), "injured": int(rng.poisson(0.6 * (5 - level)))},
        "response": [{"time": _step_time(rng, moment), "level": emergency.level_names[step_rank], "action": action,
                      "unit": units[step_rank]} for moment, step_rank, action in plan],
        "_truth": {"district": street["district_code"], "escalated": escalated,
                   "highest_level": emergency.level_codes[rank], "steps": len(plan)},
    }


def _step_time(rng: np.random.Generator, moment: int):
    form = rng.integers(0, 3)
    return _iso(moment) if form == 0 else moment * 1000 if form == 1 else _local(moment, "%Y/%m/%d %H:%M")


def _untidy(rng: np.random.Generator, std: CityStandard, emergency: EmergencyStandard, event: dict,
            picks: dict[str, set[int]], k: int):
    """The event as delivered: spelling variants, and the injected defect of its row if it has one."""
    element = {key: value for key, value in event.items() if key != "_truth"}
    element["location"] = dict(event["location"])
    if rng.random() < VARIANT_SHARE:
        district = event["location"]["district"]
        code = event["_truth"]["district"]
        element["location"]["district"] = rng.choice(district_spellings(std.city_name, district, code))
    for key, spellings in (("eventType", emergency.type_spellings), ("level", emergency.severity_spellings)):
        if spellings.get(event[key]) and rng.random() < VARIANT_SHARE:
            element[key] = str(rng.choice(spellings[event[key]]))
    if k in picks["unknown_district"]:
        element["location"]["district"] = str(rng.choice(still_unknown(UNKNOWN_DISTRICTS, std.district_names)))
    if k in picks["unknown_severity"]:
        element["level"] = str(rng.choice(UNKNOWN_SEVERITIES))
    if k in picks["missing_required"]:
        del element["location"]["district"]
    if k in picks["malformed_json"]:
        return f"{element['eventId']} 数据异常"  # the platform wrote an error string instead of the object
    return element


def _document(elements: list) -> bytes:
    return json.dumps(elements, ensure_ascii=False, indent=1).encode("utf-8")


def _write_files(inbox: Path, contract: Contract, elements: list, day: np.ndarray, duplicate: np.ndarray, start: date,
                 days: int) -> tuple[list[str], int]:
    """Each day's document (a duplicated element right after its original) and the re-delivered one's size."""
    duplicated = set(duplicate.tolist())
    per_day: list[list] = [[] for _ in range(days)]
    for k, element in enumerate(elements):
        per_day[day[k]] += [element, element] if k in duplicated else [element]
    resent_day, _ = special_days(days)
    files = write_daily_files(reset_folder(inbox / SOURCE), contract, start, (_document(e) for e in per_day),
                              resent_day)
    return files, 0 if resent_day is None else len(per_day[resent_day])


def _write_corrupt_file(inbox: Path, contract: Contract, elements: list, start: date, days: int) -> str | None:
    """A second document on the corrupt-file day, cut off half-way: not JSON; it counts as one record."""
    _, day = special_days(days)
    if day is None:
        return None
    data = _document(elements[:3])
    name = contract.file_name(start + timedelta(days=day), CORRUPT_SUFFIX)
    (inbox / SOURCE / name).write_bytes(data[: len(data) // 2])
    return f"{SOURCE}/{name}"


def _expected(events: list[dict], picks: dict[str, np.ndarray], resent_rows: int, corrupt: bool) -> dict:
    n = len(events)
    quarantine = {"malformed_json": len(picks["malformed_json"]), "missing_required": len(picks["missing_required"]),
                  "duplicate_record": len(picks["duplicate_record"]), "duplicate_delivery": resent_rows,
                  "invalid_json": int(corrupt)}
    rows_written = n + len(picks["duplicate_record"]) + resent_rows + int(corrupt)
    lands = ~(members(n, picks["malformed_json"]) | members(n, picks["missing_required"]))
    located = lands & ~members(n, picks["unknown_district"])
    by_district: dict[str, int] = {}
    highest: dict[str, int] = {}
    for k in np.flatnonzero(lands):
        truth = events[k]["_truth"]
        if located[k]:
            by_district[truth["district"]] = by_district.get(truth["district"], 0) + 1
        highest[truth["highest_level"]] = highest.get(truth["highest_level"], 0) + 1
    return {
        "rows_written": rows_written,
        "quarantine": quarantine,
        "landed": rows_written - sum(quarantine.values()),
        "distinct_events": int(lands.sum()),
        "unknown_district": int((lands & members(n, picks["unknown_district"])).sum()),
        "unknown_severity": int((lands & members(n, picks["unknown_severity"])).sum()),
        "events_by_district": dict(sorted(by_district.items())),
        "escalated": sum(events[k]["_truth"]["escalated"] for k in np.flatnonzero(lands)),
        "events_by_highest_command_level": dict(sorted(highest.items())),
        "response_steps": sum(events[k]["_truth"]["steps"] for k in np.flatnonzero(lands)),
    }
