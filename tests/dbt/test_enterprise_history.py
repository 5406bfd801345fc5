"""The enterprise history (dim_enterprise, SCD type 2) through real landing and dbt runs: four monthly snapshots of the
demo generator landed out of order, then one re-landed with enterprises missing. The history must be exactly the
generator's ground truth, and an incremental run must leave what a full rebuild of the same landed months does.
"""

from __future__ import annotations

import os
import time
from datetime import date

import numpy as np
import pytest

from demo import enterprises
from demo.enterprise_history import history_digest
from demo.standard import CityStandard
from pipelines.ingestion.contracts import load_contracts
from pipelines.ingestion.landing import land_partitions
from pipelines.warehouse import open_warehouse
from tests.dbt.test_corrections import Warehouse

CONTRACT = load_contracts()[enterprises.SOURCE]
MODELS = ("stg_enterprise_register__enterprises", "int_enterprise_register__snapshots", "dim_enterprise")
START, DAYS, SIZE = date(2026, 1, 1), 120, 120  # four snapshots
MONTHS = ["2026-01-01", "2026-02-01", "2026-03-01", "2026-04-01"]
HISTORY = "select uscc, cast(valid_from as varchar), cast(valid_to as varchar), closed_reason from marts.dim_enterprise"
DIM_COLUMNS = "select * exclude (source_file) from marts.dim_enterprise order by uscc, valid_from"


class History:
    def __init__(self, root):
        self.warehouse = Warehouse(root)
        self.inbox = root / "inbox"
        self.truth = enterprises.deliver(self.inbox, CityStandard.load(), np.random.default_rng(5), START, DAYS, SIZE)
        self.delivered()

    def delivered(self) -> None:
        """Files delivered a day ago: landing takes a file once it has been unchanged for a while."""
        moment = time.time() - 86_400
        for path in (self.inbox / CONTRACT.source).iterdir():
            os.utime(path, (moment, moment))

    def land(self, *months: str) -> None:
        with open_warehouse(self.warehouse.path) as connection:
            land_partitions(CONTRACT, list(months), connection, self.inbox, self.warehouse.landing)

    def run(self, window: tuple[str, str] | None, *extra: str) -> None:
        dates = [] if window is None else ["--vars", f'{{"window_start": "{window[0]}", "window_end": "{window[1]}"}}']
        self.warehouse.dbt("run", "--select", *MODELS, *dates, *extra)

    def digest(self) -> str:
        return history_digest(self.warehouse.query(HISTORY))


@pytest.fixture(scope="module")
def history(tmp_path_factory) -> History:
    history = History(tmp_path_factory.mktemp("enterprise_history"))
    history.warehouse.dbt("seed", "--select", "+dim_enterprise")
    return history


def test_months_landed_out_of_order_give_the_true_history(history):
    history.land(MONTHS[3], MONTHS[1])
    history.run(None)
    partial = history.warehouse.query("select count(distinct valid_from) from marts.dim_enterprise")[0][0]
    assert partial == 2
    history.land(MONTHS[0], MONTHS[2])
    history.run((MONTHS[0], MONTHS[2]))  # incremental: the late months' window only
    expected = history.truth["expected"]
    assert history.digest() == expected["history_sha256"]
    reasons = dict(history.warehouse.query(
        "select closed_reason, count(*) from marts.dim_enterprise where not is_current group by 1"))
    assert reasons == expected["closed_by_reason"]
    assert {"absent_from_snapshot", "attribute_change", "deregistered"} <= set(reasons)
    invalid = history.warehouse.query("select count(distinct uscc) from marts.dim_enterprise where not code_is_valid")
    assert invalid[0][0] == expected["invalid_uscc"] > 0


def test_a_relanded_month_without_some_enterprises_closes_them_as_an_incremental_run_and_a_rebuild_agree(history):
    february = history.inbox / CONTRACT.source / f"{CONTRACT.source}_202602.csv"
    lines = february.read_bytes().split(b"\n")
    header, records = lines[0], [line for line in lines[1:] if line]
    gone_lines, kept = records[:5], records[5:]  # the first five enterprises of February's snapshot are gone
    february.write_bytes(b"\n".join([header, *kept]) + b"\n")
    history.delivered()
    before = history.digest()
    history.land(MONTHS[1])
    history.run((MONTHS[1], MONTHS[1]))
    assert history.digest() != before
    incremental = history.warehouse.query(DIM_COLUMNS)
    history.run(None, "--full-refresh")
    assert history.warehouse.query(DIM_COLUMNS) == incremental
    # no version of the enterprises gone from February covers it; those in January's snapshot closed as absent
    gone = sorted({line.split(b",")[0].decode("ascii").upper() for line in gone_lines})
    covering = history.warehouse.query(
        "select count(*) from marts.dim_enterprise where uscc in ? and valid_from <= date '2026-02-01' "
        "and coalesce(valid_to, date '9999-12-31') > date '2026-02-01'", [gone])
    assert covering[0][0] == 0
    closed = history.warehouse.query(
        "select count(distinct uscc) from marts.dim_enterprise where uscc in ? and valid_to = date '2026-02-01' "
        "and closed_reason = 'absent_from_snapshot'", [gone])
    assert closed[0][0] >= 4
