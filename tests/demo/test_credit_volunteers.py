"""The credit and volunteer generators: their ground truth confirmed by an independent, deliberately simple reading
of the files they write (standard-library XML and CSV parsers, python-stdnum for the identifier checks)."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import pytest
import yaml
from stdnum.cn import ric, uscc

from demo import credit, volunteers
from demo.standard import CityStandard
from pipelines.settings import CONTRACTS_DIR, DBT_PROJECT_DIR

START, DAYS = date(2026, 2, 26), 12  # Thursday: a partial first week, a full one, a partial last one


def _contract(source: str) -> dict:
    return yaml.safe_load((CONTRACTS_DIR / f"{source}.yaml").read_text(encoding="utf-8"))


def _seed(relative: str) -> list[dict[str, str]]:
    with (DBT_PROJECT_DIR / "seeds" / relative).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _deliver(module, tmp_path: Path, seed: int = 3) -> dict:
    return module.deliver(tmp_path, CityStandard.load(), np.random.default_rng(seed), START, DAYS, 30)


@pytest.fixture(scope="module")
def credit_files(tmp_path_factory) -> tuple[Path, dict]:
    inbox = tmp_path_factory.mktemp("inbox")
    return inbox, _deliver(credit, inbox)


@pytest.fixture(scope="module")
def volunteer_files(tmp_path_factory) -> tuple[Path, dict]:
    inbox = tmp_path_factory.mktemp("inbox")
    return inbox, _deliver(volunteers, inbox)


def _code_is_valid(kind: str, code: str) -> bool:
    validator = ric if kind == "自然人" else uscc
    try:
        validator.validate(code.strip().upper())
        return True
    except Exception:  # python-stdnum raises several kinds (and KeyError for unknown ID address codes)
        return False


def test_credit_ground_truth_holds_for_the_xml_files(credit_files):
    inbox, truth = credit_files
    contract = _contract("credit_lists")
    record = contract["delivery"]["record_element"]
    entries, malformed, duplicates, missing = [], 0, 0, 0
    for relative in truth["files"]:
        text = (inbox / relative).read_text(encoding="utf-8")
        monday = datetime.strptime(re.search(r"(\d{4}-W\d{2})", relative).group(1) + "-1", "%G-W%V-%u").date()
        try:
            root = ElementTree.fromstring(text.encode("utf-8"))
        except ElementTree.ParseError:
            malformed += len(re.findall(f"<{record}[ >]", text))
            continue
        seen = set()
        for element in root.findall(record):
            if ElementTree.tostring(element) in seen:
                duplicates += 1
                continue
            seen.add(ElementTree.tostring(element))
            listed = date.fromisoformat(element.findtext("列入日期"))
            removed = element.findtext("移出日期")
            assert monday - timedelta(days=365 * 3) <= listed < monday + timedelta(days=7)
            assert removed is None or monday <= date.fromisoformat(removed) < monday + timedelta(days=7)
            if not element.findtext("名单类型"):
                missing += 1
                continue
            entries.append((monday, element))
    assert truth["expected"]["rows_written"] == len(entries) + malformed + duplicates + missing
    assert truth["expected"]["quarantine"] == {"malformed_xml": malformed, "duplicate_record": duplicates,
                                               "missing_required": missing}
    assert malformed > 0 and duplicates > 0 and missing > 0
    latest = {}
    for monday, element in sorted(entries, key=lambda pair: pair[0]):
        latest[element.get("编号")] = element
    expected = truth["expected"]
    assert expected["distinct_entries"] == len(latest)
    kinds = {entry_id: element.find("主体").get("类型") for entry_id, element in latest.items()}
    codes = {entry_id: element.findtext("主体/统一社会信用代码") or element.findtext("主体/身份证号")
             for entry_id, element in latest.items()}
    assert expected["persons"] == sum(kind == "自然人" for kind in kinds.values())
    assert expected["invalid_code"] == sum(not _code_is_valid(kinds[e], codes[e]) for e in latest) > 0
    assert any(code != code.strip().upper() and _code_is_valid(kinds[e], code) for e, code in codes.items())
    as_of = date.fromisoformat(expected["as_of_date"])
    assert as_of.weekday() == 6
    assert expected["removed"] == sum(element.findtext("移出日期") is not None for element in latest.values()) > 0
    assert expected["active"] == sum(element.findtext("移出日期") is None
                                     and date.fromisoformat(element.findtext("有效期至")) >= as_of
                                     for element in latest.values())
    spelled = {row["source_value"]: row["standard_code"]
               for row in _seed("mappings/map_credit_list_type__credit_lists.csv")}
    spelled |= {row["credit_list_type_name"]: row["credit_list_type_code"]
                for row in _seed("standard/std_credit_list_type.csv")}
    by_type = Counter(spelled[element.findtext("名单类型")] for element in latest.values())
    assert expected["entries_by_list_type"] == {code: by_type.get(code, 0) for code in expected["entries_by_list_type"]}
    assert truth["injected"]["renewed"] > 0


def test_volunteer_ground_truth_holds_for_the_csv_files(volunteer_files):
    inbox, truth = volunteer_files
    contract = _contract("volunteer_services")
    headers = [column["source"] for column in contract["columns"]]
    known = {row["community_name"] for row in _seed("standard/std_division_community.csv")} | {
        row["source_value"] for row in _seed("mappings/map_community__volunteer_services.csv")}
    rows = []
    for relative in truth["files"]:
        raw = (inbox / relative).read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")
        reader = csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""))
        assert next(reader) == headers
        rows += [dict(zip(headers, row)) for row in reader]
    counts = Counter(tuple(row.values()) for row in rows)
    duplicates = sum(n - 1 for n in counts.values())
    unique = [dict(zip(headers, row)) for row in counts]
    missing = [row for row in unique if not row["所在社区"]]
    landed = [row for row in unique if row["所在社区"]]
    expected = truth["expected"]
    assert expected["rows_written"] == len(rows)
    assert expected["quarantine"] == {"duplicate_record": duplicates, "missing_required": len(missing)}
    assert expected["distinct_records"] == len(landed) == len({row["记录编号"] for row in landed})
    assert expected["unknown_community"] == sum(row["所在社区"] not in known for row in landed) > 0

    def hours_valid(row) -> bool:
        hours = float(row["服务时长"])
        timed = (datetime.strptime(row["结束时间"], "%Y-%m-%d %H:%M")
                 - datetime.strptime(row["开始时间"], "%Y-%m-%d %H:%M")).total_seconds() / 3600
        return hours * 2 == int(hours * 2) and hours == round(timed * 2) / 2

    assert expected["invalid_hours"] == sum(not hours_valid(row) for row in landed) > 0
    assert expected["hours_not_half_step"] == sum(float(r["服务时长"]) * 2 % 1 != 0 for r in landed) > 0
    assert expected["approved"] == sum(row["记录状态"] == "已审核" for row in landed)
    assert expected["approved_valid_hours"] == pytest.approx(
        sum(float(row["服务时长"]) for row in landed if row["记录状态"] == "已审核" and hours_valid(row)))
    assert expected["volunteers"] == len({row["志愿者编号"] for row in landed})


@pytest.mark.parametrize("module", [credit, volunteers])
def test_the_same_seed_writes_the_same_bytes(module, tmp_path):
    first, second = _deliver(module, tmp_path / "a"), _deliver(module, tmp_path / "b")
    assert first == second
    for relative in first["files"]:
        assert (tmp_path / "a" / relative).read_bytes() == (tmp_path / "b" / relative).read_bytes()
