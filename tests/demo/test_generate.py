"""The demo generator: reproducible files, every defect present, and a ground truth that an independent,
deliberately simple reading of the files confirms."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import unicodedata
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
import yaml
from stdnum.cn import ric

from demo.generate import GROUND_TRUTH_FILE, generate, main
from pipelines.partitions import last_complete_day
from pipelines.settings import CONTRACTS_DIR, DBT_PROJECT_DIR

# Six days across a month end: two monthly workbooks, daily files in both months.
SMALL = {"start": date(2026, 1, 30), "days": 6,
         "sizes": {"hotline_12345": 60, "grid_events": 40, "mediation_cases": 300}, "seed": 7}
SEEDS = DBT_PROJECT_DIR / "seeds"
HOTLINE_TIME = "%Y/%m/%d %H:%M:%S"


@pytest.fixture(scope="module")
def delivered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    inbox = tmp_path_factory.mktemp("inbox")
    return inbox, generate(inbox, **SMALL)


def _seed(relative: str) -> list[dict[str, str]]:
    with (SEEDS / relative).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _contract(source: str) -> dict:
    return yaml.safe_load((CONTRACTS_DIR / f"{source}.yaml").read_text(encoding="utf-8"))


def _required_headers(source: str) -> list[str]:
    return [column["source"] for column in _contract(source)["columns"] if column.get("required")]


def _clean(value: str | None) -> str:
    """Trim and fold full-width forms, as conformance does."""
    return unicodedata.normalize("NFKC", value or "").strip()


def _district_aliases() -> dict[str, str]:
    city = _seed("standard/std_division_city.csv")[0]["city_name"]
    aliases = {}
    for row in _seed("standard/std_division_district.csv"):
        code, name = row["district_code"], row["district_name"]
        short = name[:-1] if name[-1] in "区市县" and len(name) > 2 else name
        for alias in (code, name, city + name, short):
            aliases[alias] = code
    return aliases


def _all_files(inbox: Path) -> dict[str, bytes]:
    return {str(path.relative_to(inbox)): path.read_bytes() for path in sorted(inbox.rglob("*")) if path.is_file()}


def _decode(data: bytes) -> str:
    """UTF-8 when the bytes are UTF-8 (GB18030 text with Chinese almost never is), else GB18030."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030")


# --- an independent reading of the deliveries under the landing and dbt rules --------------------------------

class Landing:
    """Quarantine by precedence, duplicate deliveries by file hash; keeps each key's latest landed version."""

    def __init__(self) -> None:
        self.quarantine: Counter[str] = Counter()
        self.rows_written = 0
        self.latest: dict[str, dict] = {}
        self._hashes: set[str] = set()
        self._seen: dict[str, set] = defaultdict(set)

    def new_file(self, data: bytes, rows: int) -> bool:
        """False (and every row quarantined) when the file is a byte-identical re-delivery."""
        self.rows_written += rows
        digest = hashlib.sha256(data).hexdigest()
        if digest in self._hashes:
            self.quarantine["duplicate_delivery"] += rows
            return False
        self._hashes.add(digest)
        return True

    def record(self, partition: str, values: tuple, record: dict, key: str, problem: str | None) -> None:
        if problem is None and values in self._seen[partition]:
            problem = "duplicate_record"
        self._seen[partition].add(values)
        if problem:
            self.quarantine[problem] += 1
        else:
            self.latest[record[key]] = record  # files are read in partition, name, row order

    @property
    def landed(self) -> int:
        return self.rows_written - sum(self.quarantine.values())


def _files(inbox: Path, source: str) -> list[Path]:
    return sorted((inbox / source).iterdir(), key=lambda path: path.name)


def _all_hotline_records(inbox: Path) -> list[dict]:
    """Every well-formed row of every hotline file, quarantined or not."""
    records = []
    for path in _files(inbox, "hotline_12345"):
        header, *rows = list(csv.reader(io.StringIO(_decode(path.read_bytes()))))
        records += [dict(zip(header, row)) for row in rows if len(row) == len(header)]
    return records


def _read_hotline(inbox: Path) -> Landing:
    landing = Landing()
    required = _required_headers("hotline_12345")
    for path in _files(inbox, "hotline_12345"):
        data = path.read_bytes()
        header, *rows = list(csv.reader(io.StringIO(_decode(data))))
        if not landing.new_file(data, len(rows)):
            continue
        for row in rows:
            record = dict(zip(header, row))
            problem = ("malformed_row" if len(row) != len(header)
                       else "missing_required" if any(record[name] == "" for name in required) else None)
            landing.record(path.name[17:25], tuple(row), record, "工单编号", problem)
    return landing


def _read_grid(inbox: Path) -> Landing:
    landing = Landing()
    required = _required_headers("grid_events")
    for path in _files(inbox, "grid_events"):
        data = path.read_bytes()
        lines = data.decode("utf-8").splitlines()
        if not landing.new_file(data, len(lines)):
            continue
        for line in lines:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                record = None
            problem = ("malformed_json" if not isinstance(record, dict)
                       else "missing_required" if any(record.get(name) is None for name in required) else None)
            landing.record(path.name[12:20], line, record, "eventId", problem)
    return landing


def _read_mediation(inbox: Path) -> tuple[Landing, list[tuple]]:
    landing, rows_read = Landing(), []
    required = _required_headers("mediation_cases")
    for path in _files(inbox, "mediation_cases"):
        sheet = openpyxl.load_workbook(path, read_only=True)[_contract("mediation_cases")["delivery"]["sheet"]]
        header, *rows = list(sheet.iter_rows(values_only=True))
        # empty trailing cells are not stored, so read-only rows can be short
        rows = [row + (None,) * (len(header) - len(row)) for row in rows]
        landing.new_file(path.read_bytes(), len(rows))
        for row in rows:
            record = dict(zip(header, row))
            problem = "missing_required" if any(record[name] in (None, "") for name in required) else None
            landing.record(path.name[16:22], row, record, "案件编号", problem)
        rows_read += rows
    return landing, rows_read


def _hotline_facts(landing: Landing) -> dict:
    aliases = _district_aliases()
    categories = {row["source_value"] for row in _seed("mappings/map_category__hotline_12345.csv")}
    closed_names = {row["status_name"] for row in _seed("standard/std_request_status.csv")
                    if row["is_closed"] == "true"}
    type_codes = {row["request_type_name"]: row["request_type_code"] for row in _seed("standard/std_request_type.csv")}
    limits = {row["request_type_code"]: float(row["time_limit_hours"])
              for row in _seed("standard/cfg_service_time_limit.csv")}
    facts = Counter()
    by_district = Counter()
    for record in landing.latest.values():
        times = [datetime.strptime(record[name], HOTLINE_TIME) for name in ("受理时间", "派单时间", "响应时间", "办结时间")
                 if record[name]]
        district = aliases.get(_clean(record["所属区县"]))
        by_district[district] += 1
        closed = _clean(record["工单状态"]) in closed_names
        due = times[0] + timedelta(hours=limits[type_codes[_clean(record["诉求类型"])]])
        facts["closed"] += closed
        facts["closed_on_time"] += closed and times[-1] <= due
        facts["unknown_district"] += district is None
        facts["unknown_category"] += _clean(record["热线分类"]) not in categories
        facts["invalid_citizen_id"] += bool(record["身份证号"]) and not ric.is_valid(record["身份证号"])
        facts["lifecycle_out_of_order"] += times != sorted(times)
    return {**facts, "requests_by_district": {code: n for code, n in by_district.items() if code}}


# --- reproducibility ------------------------------------------------------------------------------------------

def test_the_same_seed_writes_identical_bytes(delivered, tmp_path):
    inbox, _ = delivered
    generate(tmp_path, **SMALL)
    assert _all_files(tmp_path) == _all_files(inbox)


def test_another_seed_writes_other_data(delivered, tmp_path):
    inbox, truth = delivered
    other = generate(tmp_path, **{**SMALL, "seed": SMALL["seed"] + 1})
    first, again = _all_files(inbox), _all_files(tmp_path)
    assert first.keys() == again.keys()
    assert all(first[name] != again[name] for name in first)
    assert other["sources"]["hotline_12345"]["expected"] != truth["sources"]["hotline_12345"]["expected"]


def test_a_rerun_replaces_earlier_deliveries(delivered, tmp_path):
    stale = tmp_path / "hotline_12345" / "12345_workorders_20250101.csv"
    stale.parent.mkdir(parents=True)
    stale.write_text("old")
    truth = generate(tmp_path, **SMALL)
    written = {name for name in _all_files(tmp_path) if name != GROUND_TRUTH_FILE}
    assert written == {name for part in truth["sources"].values() for name in part["files"]}


# --- defects --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("source", "defects"), [
    ("hotline_12345", {"district_variant", "unknown_district", "invalid_citizen_id", "unknown_category",
                       "missing_required", "duplicate_record", "re_export", "code_whitespace", "malformed_row",
                       "lifecycle_out_of_order", "redelivered_file", "wrong_encoding_file"}),
    ("grid_events", {"malformed_json", "missing_required", "unknown_grid", "unknown_category",
                     "lifecycle_out_of_order", "duplicate_record", "re_export", "redelivered_file"}),
    ("mediation_cases", {"district_variant", "unknown_district", "unknown_category", "invalid_citizen_id",
                         "missing_required", "duplicate_record"}),
])
def test_every_defect_is_injected_at_small_scale(delivered, source, defects):
    injected = delivered[1]["sources"][source]["injected"]
    assert set(injected) == defects
    assert all(count >= 1 for count in injected.values()), injected


def test_record_counts_add_up(delivered):
    sources = delivered[1]["sources"]
    for source, part in sources.items():
        expected = part["expected"]
        assert expected["rows_written"] == expected["landed"] + sum(expected["quarantine"].values()), source
    hotline = sources["hotline_12345"]["expected"]
    assert set(hotline["quarantine"]) == {"malformed_row", "missing_required", "duplicate_record", "duplicate_delivery"}
    assert sum(hotline["requests_by_district"].values()) + hotline["unknown_district"] == \
        hotline["distinct_work_orders"]
    # every landed row is a distinct work order except the re-exported second versions
    assert hotline["landed"] - hotline["distinct_work_orders"] == sources["hotline_12345"]["injected"]["re_export"]
    grid = sources["grid_events"]["expected"]
    assert sum(grid["events_by_district"].values()) + grid["unknown_grid"] == grid["distinct_events"]
    mediation = sources["mediation_cases"]["expected"]
    assert sum(mediation["cases_by_district"].values()) + mediation["unknown_district"] == mediation["distinct_cases"]


def test_hotline_files_are_gb18030_except_one_utf8_day(delivered):
    inbox, truth = delivered
    header = ",".join(column["source"] for column in _contract("hotline_12345")["columns"])
    utf8 = []
    for name in truth["sources"]["hotline_12345"]["files"]:
        data = (inbox / name).read_bytes()
        try:
            data.decode("utf-8")
            utf8.append(name)
        except UnicodeDecodeError:
            assert data.decode("gb18030").startswith(header + "\n"), name
    assert len(utf8) == 1 and "resend" not in utf8[0]
    assert (inbox / utf8[0]).read_bytes().decode("utf-8").startswith(header + "\n")


@pytest.mark.parametrize("source", ["hotline_12345", "grid_events"])
def test_the_redelivered_file_is_a_byte_identical_copy(delivered, source):
    inbox, truth = delivered
    resent = [name for name in truth["sources"][source]["files"] if "_resend" in name]
    assert len(resent) == 1
    original = resent[0].replace("_resend", "")
    assert (inbox / resent[0]).read_bytes() == (inbox / original).read_bytes()


def test_citizen_ids_are_valid_except_the_injected_ones(delivered):
    inbox, truth = delivered
    hotline = [record["身份证号"] for record in _all_hotline_records(inbox) if record.get("身份证号")]
    assert len(hotline) > 0.2 * SMALL["days"] * SMALL["sizes"]["hotline_12345"]
    assert sum(not ric.is_valid(number) for number in hotline) == \
        truth["sources"]["hotline_12345"]["injected"]["invalid_citizen_id"]
    _, rows = _read_mediation(inbox)
    header = [column["source"] for column in _contract("mediation_cases")["columns"]]
    parties = [row[header.index(name)] for row in rows for name in ("申请人身份证号", "被申请人身份证号")]
    assert all(parties)
    assert sum(not ric.is_valid(number) for number in parties) == \
        truth["sources"]["mediation_cases"]["injected"]["invalid_citizen_id"]


def test_untidy_code_values_still_map_once_normalized(delivered):
    inbox, truth = delivered
    code_sets = {
        "诉求渠道": {row["channel_name"] for row in _seed("standard/std_channel.csv")},
        "诉求类型": {row["request_type_name"] for row in _seed("standard/std_request_type.csv")},
        "工单状态": {row["status_name"] for row in _seed("standard/std_request_status.csv")},
        "热线分类": {row["source_value"] for row in _seed("mappings/map_category__hotline_12345.csv")},
    }
    district_names = {row["district_name"] for row in _seed("standard/std_division_district.csv")}
    aliases = _district_aliases()
    untidy, variants = 0, Counter()
    for record in _all_hotline_records(inbox):
        untidy += sum(record[column] != _clean(record[column]) for column in code_sets)
        assert all(_clean(record[column]) in values for column, values in code_sets.items()
                   if column != "热线分类"), record
        if record["所属区县"] not in district_names:
            variants[_clean(record["所属区县"]) in aliases] += 1
    injected = truth["sources"]["hotline_12345"]["injected"]
    assert untidy == injected["code_whitespace"]
    assert variants == {True: injected["district_variant"], False: injected["unknown_district"]}


def test_grid_codes_are_real_grids_except_the_injected_ones(delivered):
    inbox, truth = delivered
    grids = {row["grid_code"] for row in _seed("standard/std_grid.csv")}
    codes = []
    for path in _files(inbox, "grid_events"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.endswith("}") and json.loads(line).get("gridCode"):
                codes.append(json.loads(line)["gridCode"])
    unknown = [code for code in codes if code not in grids]
    assert len(unknown) == truth["sources"]["grid_events"]["injected"]["unknown_grid"]
    assert all(len(code) == 15 and code.isdigit() for code in unknown)


# --- the ground truth against an independent reading ------------------------------------------------------------

def test_hotline_ground_truth_matches_the_files(delivered):
    inbox, truth = delivered
    expected = truth["sources"]["hotline_12345"]["expected"]
    landing = _read_hotline(inbox)
    assert landing.rows_written == expected["rows_written"]
    assert {reason: landing.quarantine[reason] for reason in expected["quarantine"]} == expected["quarantine"]
    assert landing.landed == expected["landed"]
    assert len(landing.latest) == expected["distinct_work_orders"]
    facts = _hotline_facts(landing)
    for name in ("closed", "closed_on_time", "unknown_district", "unknown_category", "invalid_citizen_id",
                 "lifecycle_out_of_order"):
        assert facts[name] == expected[name], name
    assert facts["requests_by_district"] == {code: n for code, n in expected["requests_by_district"].items() if n}


def test_grid_ground_truth_matches_the_files(delivered):
    inbox, truth = delivered
    expected = truth["sources"]["grid_events"]["expected"]
    landing = _read_grid(inbox)
    grid_district = {row["grid_code"]: row["community_code"][:6] for row in _seed("standard/std_grid.csv")}
    categories = {row["source_value"] for row in _seed("mappings/map_category__grid_events.csv")}
    events = landing.latest.values()
    history_times = [[step["time"] for step in event["statusHistory"]] for event in events]
    assert landing.rows_written == expected["rows_written"]
    assert {reason: landing.quarantine[reason] for reason in expected["quarantine"]} == expected["quarantine"]
    assert landing.landed == expected["landed"]
    assert len(landing.latest) == expected["distinct_events"]
    assert sum(event["gridCode"] not in grid_district for event in events) == expected["unknown_grid"]
    assert sum(event["categoryCode"] not in categories for event in events) == expected["unknown_category"]
    assert sum(event["status"] == 6 for event in events) == expected["closed"]
    assert sum(times != sorted(times) for times in history_times) == expected["lifecycle_out_of_order"]
    by_district = Counter(grid_district[event["gridCode"]] for event in events if event["gridCode"] in grid_district)
    assert by_district == {code: n for code, n in expected["events_by_district"].items() if n}


def test_mediation_ground_truth_matches_the_files(delivered):
    inbox, truth = delivered
    expected = truth["sources"]["mediation_cases"]["expected"]
    landing, _ = _read_mediation(inbox)
    aliases = _district_aliases()
    categories = {row["source_value"] for row in _seed("mappings/map_dispute_category__mediation_cases.csv")}
    cases = landing.latest.values()
    assert landing.rows_written == expected["rows_written"]
    assert dict(landing.quarantine) == expected["quarantine"]
    assert len(landing.latest) == expected["distinct_cases"] == landing.landed
    assert sum(_clean(case["纠纷类型"]) not in categories for case in cases) == expected["unknown_category"]
    assert sum(case["调解结果"] == "调解成功" for case in cases) == expected["mediation_success"]
    assert sum(not all(map(ric.is_valid, (case["申请人身份证号"], case["被申请人身份证号"]))) for case in cases) == \
        expected["invalid_citizen_id"]
    by_district = Counter(aliases.get(_clean(str(case["所属区县"]))) for case in cases)
    assert by_district.pop(None, 0) == expected["unknown_district"]
    assert by_district == {code: n for code, n in expected["cases_by_district"].items() if n}


def test_mediation_dates_come_in_every_format(delivered):
    inbox, truth = delivered
    _, rows = _read_mediation(inbox)
    header = [column["source"] for column in _contract("mediation_cases")["columns"]]
    cells = [row[header.index(name)] for row in rows for name in ("受理日期", "结案日期")]
    kinds = Counter("excel_date" if isinstance(cell, datetime) else "excel_serial" if isinstance(cell, int)
                    else "chinese_text" if "年" in cell else "iso_text" for cell in cells if cell is not None)
    assert kinds == truth["sources"]["mediation_cases"]["expected"]["date_formats"]
    assert all(count > 0.1 * kinds.total() for count in kinds.values()), kinds


# --- realism ----------------------------------------------------------------------------------------------------

def test_hotline_statuses_agree_with_the_lifecycle_times(delivered):
    statuses = _seed("standard/std_request_status.csv")
    closed = {row["status_name"] for row in statuses if row["is_closed"] == "true"}
    visited = {row["status_code"]: row["status_name"] for row in statuses}["50"]
    for record in _all_hotline_records(delivered[0]):
        status = _clean(record["工单状态"])
        assert bool(record["办结时间"]) == (status in closed), record
        assert bool(record["回访满意度"]) == (status == visited), record


def test_on_time_closing_is_mixed(delivered):
    expected = delivered[1]["sources"]["hotline_12345"]["expected"]
    assert 0.65 < expected["closed_on_time"] / expected["closed"] < 0.92


def test_some_callers_ask_again_within_the_repeat_window(delivered):
    seen: dict[tuple, list[datetime]] = defaultdict(list)
    for record in _all_hotline_records(delivered[0]):
        if record["工单编号"] and record["受理时间"]:
            phone = _clean(record["来电号码"]).replace(" ", "").removeprefix("+86")
            key = (phone, _clean(record["热线分类"]), _clean(record["所属区县"]))
            seen[key].append(datetime.strptime(record["受理时间"], HOTLINE_TIME))
    repeats = [times for times in seen.values() if len(set(times)) > 1 and max(times) - min(times) <= timedelta(30)]
    assert len(repeats) >= 3


# --- interface --------------------------------------------------------------------------------------------------

def test_the_cli_writes_the_ground_truth(tmp_path, capsys):
    truth = main(["--inbox", str(tmp_path), "--days", "3", "--size", "hotline_12345=30", "--size", "grid_events=20",
                  "--seed", "1"])
    assert json.loads((tmp_path / GROUND_TRUTH_FILE).read_text(encoding="utf-8")) == truth
    # without --start the days end yesterday (Asia/Shanghai), the latest complete partition
    assert truth["days"] == 3 and truth["start_date"] == (last_complete_day() - timedelta(days=2)).isoformat()
    assert "hotline_12345: 4 files" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["--inbox", str(tmp_path), "--size", "hotline_12345"])
    with pytest.raises(ValueError, match="no demo generator for nowhere"):
        main(["--inbox", str(tmp_path), "--days", "1", "--size", "nowhere=3"])


def test_a_one_day_delivery_leaves_out_only_the_defects_that_need_more_days(tmp_path):
    truth = generate(tmp_path, **{**SMALL, "days": 1})
    hotline = truth["sources"]["hotline_12345"]
    needs_more_days = {"re_export", "redelivered_file", "wrong_encoding_file"}
    assert {name for name, count in hotline["injected"].items() if count == 0} == needs_more_days
    assert all(count >= 1 for count in truth["sources"]["mediation_cases"]["injected"].values())
    assert hotline["files"] == ["hotline_12345/12345_workorders_20260130.csv"]
    assert hotline["expected"]["quarantine"]["duplicate_delivery"] == 0
    assert _read_hotline(tmp_path).landed == hotline["expected"]["landed"]
    assert _read_grid(tmp_path).landed == truth["sources"]["grid_events"]["expected"]["landed"]


def test_too_few_rows_for_every_defect_are_refused(tmp_path):
    with pytest.raises(ValueError, match="generate more rows or days"):
        generate(tmp_path, **{**SMALL, "sizes": {**SMALL["sizes"], "hotline_12345": 1}})


def test_the_demo_delivers_every_source_of_the_contracts(delivered):
    from pipelines.ingestion.contracts import load_contracts

    truth = delivered[1]
    assert truth["sources_without_generator"] == []
    assert set(truth["sources"]) == set(load_contracts())
