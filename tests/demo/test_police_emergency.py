"""The police and emergency generators: their ground truth, confirmed by an independent, simple reading of the
files they write, and police's side of the cross-channel scenario (with a hand-made stand-in scenario)."""

from __future__ import annotations

import csv
import json
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from demo import emergency, police
from demo.standard import CityStandard
from pipelines.settings import DBT_PROJECT_DIR

START, DAYS = date(2026, 3, 1), 6
SEEDS = DBT_PROJECT_DIR / "seeds"


def _seed(relative: str) -> list[dict[str, str]]:
    with (SEEDS / relative).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def std() -> CityStandard:
    return CityStandard.load()


class StandInScenario:
    """Two cross-channel matters for police: what demo/scenarios.py hands each taking-part generator."""

    def __init__(self):
        street = _seed("standard/std_division_street.csv")[0]
        community = next(row for row in _seed("standard/std_division_community.csv")
                         if row["street_code"] == street["street_code"])
        zone = ZoneInfo("Asia/Shanghai")
        self.records = [
            SimpleNamespace(matter_id="M1", occurred_at=datetime(2026, 3, 2, 20, 15, tzinfo=zone),
                            district_code=street["district_code"], street_code=street["street_code"],
                            community_code=community["community_code"], address=f"{street['street_name']}某某路",
                            category_code="0301", is_dispute=True, is_closed=True),
            SimpleNamespace(matter_id="M2", occurred_at=datetime(2026, 3, 5, 9, 0, tzinfo=zone),
                            district_code=street["district_code"], street_code=street["street_code"],
                            community_code=community["community_code"], address=f"{street['street_name']}某某社区",
                            category_code="0202", is_dispute=False, is_closed=False),
        ]

    def records_for(self, source: str) -> list:
        return self.records if source == police.SOURCE else []

    def rng_for(self, source: str) -> np.random.Generator:
        return np.random.default_rng(7)


@pytest.fixture(scope="module")
def police_delivery(tmp_path_factory, std):
    inbox = tmp_path_factory.mktemp("police")
    scenario = StandInScenario()
    truth = police.deliver(inbox, std, np.random.default_rng(5), START, DAYS, 30, scenario)
    return inbox, truth, scenario


def _police_rows(inbox: Path, truth: dict) -> tuple[list[dict], list[str], set]:
    """Rows of every readable file, the files that are not Parquet, and the time column types seen."""
    rows, unreadable, time_types = [], [], set()
    for name in truth["files"]:
        try:
            table = pq.read_table(inbox / name)
        except pa.ArrowException:
            unreadable.append(name)
            continue
        time_types.add(str(table.schema.field("接警时间").type))
        rows += [{**row, "_file": name} for row in table.to_pylist()]
    return rows, unreadable, time_types


def test_police_truth_matches_the_files(police_delivery):
    inbox, truth, _ = police_delivery
    expected = truth["expected"]
    rows, unreadable, time_types = _police_rows(inbox, truth)
    assert unreadable == [f for f in truth["files"] if f.endswith(f"{police.CORRUPT_SUFFIX}.parquet")]
    assert len(unreadable) == expected["quarantine"]["invalid_parquet"] == 1
    assert time_types == {"timestamp[ms, tz=Asia/Shanghai]", "timestamp[ms]", "string"}  # three physical forms
    assert len(rows) + len(unreadable) == expected["rows_written"]
    resent = [row for row in rows if row["_file"].endswith("_resend.parquet")]
    assert len(resent) == expected["quarantine"]["duplicate_delivery"] > 0
    first_delivery = [row for row in rows if not row["_file"].endswith("_resend.parquet")]
    missing = [row for row in first_delivery if row["管辖派出所"] is None]
    assert len(missing) == expected["quarantine"]["missing_required"]
    copies = Counter(tuple((k, str(v)) for k, v in row.items() if k != "_file") for row in first_delivery)
    assert sum(count - 1 for count in copies.values()) == expected["quarantine"]["duplicate_record"]
    landed = {row["警情编号"]: row for row in first_delivery if row["管辖派出所"] is not None}
    assert len(landed) == expected["distinct_incidents"]
    stations = {row["jurisdiction_name"] for row in _seed("standard/std_police_jurisdiction.csv")} | {
        row["source_value"] for row in _seed("mappings/map_jurisdiction__police_incidents.csv")}
    assert sum(row["管辖派出所"] not in stations for row in landed.values()) == expected["unknown_jurisdiction"]
    types = {row["incident_type_name"] for row in _seed("standard/std_police_incident_type.csv")} | {
        row["source_value"] for row in _seed("mappings/map_incident_type__police_incidents.csv")}
    assert sum(row["警情类型"] not in types for row in landed.values()) == expected["unknown_type"]
    assert sum(row["办结时间"] is not None for row in landed.values()) == expected["closed"]
    assert sum(expected["incidents_by_district"].values()) == expected["distinct_incidents"] - \
        expected["unknown_jurisdiction"]


def test_police_emits_one_incident_per_scenario_record(police_delivery):
    inbox, truth, scenario = police_delivery
    rows, _, _ = _police_rows(inbox, truth)
    by_id = {row["警情编号"]: row for row in rows}
    assert set(truth["scenario_records"]) == {"M1", "M2"}
    station = {row["street_code"]: row["jurisdiction_name"] for row in _seed("standard/std_police_jurisdiction.csv")}
    for record in scenario.records:
        [incident_id] = truth["scenario_records"][record.matter_id]
        row = by_id[incident_id]
        assert row["事发地址"] == record.address
        assert row["管辖派出所"] in (station[record.street_code],
                                  *[r["source_value"] for r in _seed("mappings/map_jurisdiction__police_incidents.csv")])
        assert incident_id[2:10] == record.occurred_at.strftime("%Y%m%d")
        assert (row["办结时间"] is not None) == record.is_closed
    assert len(by_id) == len({row["警情编号"] for row in rows})


def test_police_without_a_scenario_emits_no_scenario_records(tmp_path, std):
    truth = police.deliver(tmp_path, std, np.random.default_rng(5), START, 1, police.MIN_SIZE)
    assert "scenario_records" not in truth
    assert truth["expected"]["quarantine"]["invalid_parquet"] == 0  # a one-day demo has no corrupt-file day
    assert all(count >= 1 for name, count in truth["injected"].items() if name in police.DEFECTS)


@pytest.fixture(scope="module")
def emergency_delivery(tmp_path_factory, std):
    inbox = tmp_path_factory.mktemp("emergency")
    return inbox, emergency.deliver(inbox, std, np.random.default_rng(5), START, DAYS, 12)


def test_emergency_truth_matches_the_documents(emergency_delivery):
    inbox, truth = emergency_delivery
    expected = truth["expected"]
    elements, invalid = [], []
    for name in truth["files"]:
        try:
            document = json.loads((inbox / name).read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            invalid.append(name)
            continue
        elements += [(name, element) for element in document]
    assert len(invalid) == expected["quarantine"]["invalid_json"] == 1
    assert len(elements) + len(invalid) == expected["rows_written"]
    first = [element for name, element in elements if not name.endswith("_resend.json")]
    assert len(elements) - len(first) == expected["quarantine"]["duplicate_delivery"] > 0
    objects = [element for element in first if isinstance(element, dict)]
    assert len(first) - len(objects) == expected["quarantine"]["malformed_json"]
    missing = [element for element in objects if "district" not in element["location"]]
    assert len(missing) == expected["quarantine"]["missing_required"]
    events = {element["eventId"]: element for element in objects if "district" in element["location"]}
    assert len(objects) - len(missing) - len(events) == expected["quarantine"]["duplicate_record"]
    assert len(events) == expected["distinct_events"]
    assert sum(len(event["response"]) for event in events.values()) == expected["response_steps"]
    escalate = next(r["response_action_name"] for r in _seed("standard/std_response_action.csv")
                    if r["is_escalation"] == "true")
    assert sum(any(step["action"] == escalate for step in event["response"]) for event in events.values()) \
        == expected["escalated"]
    severities = {row["severity_name"] for row in _seed("standard/std_emergency_severity.csv")} | {
        row["source_value"] for row in _seed("mappings/map_severity__emergency_events.csv")}
    assert sum(event["level"] not in severities for event in events.values()) == expected["unknown_severity"]
    assert sum(expected["events_by_highest_command_level"].values()) == expected["distinct_events"]
