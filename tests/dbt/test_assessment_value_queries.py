"""A value query of the assessment, compiled by dbt itself and executed by DuckDB on hand-made facts.

The value queries (models/intermediate/assessment/int_assessment__<fact>.sql) are ephemeral: dbt inlines them into
int_assessment__indicator_value and cannot unit-test them (a dbt unit test of indicator_value must give each of
them as SQL, which would replace the very logic under test). So the module compiles one query that reads a value
query (`dbt compile --inline`, as tests/dbt/test_identifier_macros.py does) and runs that SQL on tables of the
facts it reads, created in an in-memory DuckDB under the names dbt compiled. The per-population rule (macro
per_population) is the one worth its own test: population months carried forward, true zeros, no value without
data.
"""

from __future__ import annotations

import re

import duckdb
import pytest

from tests.dbt.inline_sql import compile_inline

INLINE_SQL = "select * from {{ ref('int_assessment__police_incident') }}"

POLICE_INCIDENTS = [  # incident_id, district, street, reported_date, has_implausible_dates
    ("P1", "D1", "S1", "2026-01-10", False),
    ("P2", "D1", "S1", "2026-01-11", False),
    ("P3", "D1", "S1", "2026-01-31", False),
    ("P4", "D1", "S1", "2026-01-12", True),
    ("P5", "D1", "S1", "2026-02-03", False),
]
POPULATION = [  # community, district, street, month, resident_population
    ("C1", "D1", "S1", "2026-01-01", 12000),
    ("C2", "D1", "S1", "2026-01-01", 8000),
    ("C3", "D1", "S2", "2026-01-01", 10000),
    ("C1", "D1", "S1", "2026-03-01", 12000),
]


@pytest.fixture(scope="module")
def compiled_sql() -> str:
    return compile_inline(INLINE_SQL)


def test_police_incidents_per_10k_residents(compiled_sql: str) -> None:
    """January: 3 incidents in S1 over 20,000 residents → 3 / 2.0; S2 has 10,000 residents and no incident → 0 / 1.0
    (a true zero); an implausible-date incident is left out. February has no population yet: it takes January's
    (1 incident in S1 → 1 / 2.0, S2 0 / 1.0). March has population but no police data at all: no value (not 0)."""
    con = duckdb.connect()
    (catalog,) = set(re.findall(r'"(\w+)"\."marts"\.', compiled_sql))
    con.execute(f"attach ':memory:' as {catalog}")
    con.execute(f"create schema {catalog}.marts")
    con.execute(f"create table {catalog}.marts.fct_police_incident (incident_id varchar, district_code varchar, "
                "street_code varchar, reported_date date, has_implausible_dates boolean)")
    con.executemany(f"insert into {catalog}.marts.fct_police_incident values (?, ?, ?, ?, ?)", POLICE_INCIDENTS)
    con.execute(f"create table {catalog}.marts.fct_community_population (community_code varchar, "
                "district_code varchar, street_code varchar, month date, resident_population integer)")
    con.executemany(f"insert into {catalog}.marts.fct_community_population values (?, ?, ?, ?, ?)", POPULATION)
    rows = con.execute(f"select district_code, street_code, strftime(month_start, '%Y-%m'), indicator_code, "
                       f"numerator, denominator from ({compiled_sql}) order by all").fetchall()
    assert rows == [
        ("D1", "S1", "2026-01", "police_incidents_per_10k", 3, 2.0),
        ("D1", "S1", "2026-02", "police_incidents_per_10k", 1, 2.0),
        ("D1", "S2", "2026-01", "police_incidents_per_10k", 0, 1.0),
        ("D1", "S2", "2026-02", "police_incidents_per_10k", 0, 1.0),
    ]
