"""The enterprise register and population generators: a simple, independent reading of the files they write
confirms their ground truth (record counts, quarantined rows, invalid codes, monthly coverage)."""

from __future__ import annotations

from collections import Counter
from datetime import date

import numpy as np
import openpyxl
import pytest
from stdnum.cn import uscc as uscc_check

from demo import enterprises, population
from demo.standard import CityStandard, read_seed

START, DAYS = date(2026, 1, 1), 90  # three months


@pytest.fixture(scope="module")
def register(tmp_path_factory):
    inbox = tmp_path_factory.mktemp("register")
    return inbox, enterprises.deliver(inbox, CityStandard.load(), np.random.default_rng(3), START, DAYS, 400)


@pytest.fixture(scope="module")
def counts(tmp_path_factory):
    inbox = tmp_path_factory.mktemp("population")
    return inbox, population.deliver(inbox, CityStandard.load(), np.random.default_rng(3), START, DAYS, 200)


def test_register_files_are_gb18030_but_for_one_undecodable_row_a_month(register):
    inbox, truth = register
    assert len(truth["files"]) == 3
    for relative in truth["files"]:
        lines = (inbox / relative).read_bytes().rstrip(b"\n").split(b"\n")
        undecodable, utf8 = 0, 0
        for line in lines:
            try:
                line.decode("gb18030")
            except UnicodeDecodeError:
                try:
                    line.decode("utf-8")
                    utf8 += 1
                except UnicodeDecodeError:
                    undecodable += 1
        assert (undecodable, utf8) == (1, 0), relative


def test_register_ground_truth_matches_the_files(register):
    inbox, truth = register
    expected = truth["expected"]
    records, duplicates, undecodable, codes = 0, 0, 0, set()
    for relative in truth["files"]:
        lines = (inbox / relative).read_bytes().rstrip(b"\n").split(b"\n")[1:]
        records += len(lines)
        duplicates += sum(n - 1 for n in Counter(lines).values())
        undecodable += sum(1 for line in lines if b"\xff" in line)
        codes |= {line.split(b",")[0].decode("ascii").upper() for line in lines}
    assert records == expected["rows_written"]
    assert expected["quarantine"] == {"duplicate_record": duplicates, "encoding_error": undecodable}
    assert len(codes) >= expected["enterprises"]
    invalid = {code for code in codes if not uscc_check.is_valid(code)}
    assert len(invalid) >= expected["invalid_uscc"] > 0  # an enterprise whose rows never landed may add one
    reasons = expected["closed_by_reason"]
    assert {"absent_from_snapshot", "attribute_change", "status_change", "deregistered"} <= set(reasons)
    assert expected["versions"] == expected["current_versions"] + sum(reasons.values())


def test_population_ground_truth_matches_the_workbooks(counts):
    inbox, truth = counts
    expected = truth["expected"]
    known = {row["community_code"] for row in read_seed("standard/std_division_community.csv")}
    rows, duplicates, no_resident, unknown = 0, 0, 0, 0
    for relative in truth["files"]:
        sheet = openpyxl.load_workbook(inbox / relative, read_only=True).worksheets[0]
        values = [tuple(row) for row in sheet.iter_rows(min_row=2, values_only=True)]
        rows += len(values)
        duplicates += sum(n - 1 for n in Counter(values).values())
        no_resident += sum(1 for row in values if row[3] is None)
        unknown += sum(1 for row in values if row[0] not in known and row[3] is not None)
        assert len({row[0] for row in values}) < 200  # some communities are missing from every month
    assert rows == expected["rows_written"]
    assert expected["quarantine"] == {"duplicate_record": duplicates, "missing_required": no_resident}
    assert unknown == expected["unknown_community"] > 0
    flags = expected["implausible"]
    assert min(flags.values()) > 0 and flags["implausible"] <= sum(flags.values()) - flags["implausible"]
