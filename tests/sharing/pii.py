"""What must never leave: valid citizen IDs (GB 11643 check digit), 11-digit mobile numbers, and the raw
personal values (names, IDs, phones, addresses) of the landed data of the test build."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
from stdnum.cn import ric

from pipelines.ingestion.contracts import load_contracts

CITIZEN_ID_CANDIDATE = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
MOBILE = re.compile(r"(?<![0-9A-Za-z])(?:\+?86|0086)?1[3-9]\d{9}(?![0-9A-Za-z])")


def valid_citizen_ids(text: str) -> list[str]:
    return [candidate for candidate in CITIZEN_ID_CANDIDATE.findall(text) if ric.is_valid(candidate)]


def mobile_numbers(text: str) -> list[str]:
    return MOBILE.findall(text)


def landed_personal_values(landing: Path) -> dict[str, set[str]]:
    """Each personal contract column's distinct landed values (as delivered), by column name."""
    values: dict[str, set[str]] = {}
    with duckdb.connect() as connection:
        for contract in load_contracts().values():
            files = list((landing / contract.source).glob("*/*.parquet"))
            for column in (c for c in contract.columns if c.personal):
                if not files:
                    continue
                rows = connection.execute(
                    f'select distinct trim("{column.name}") from read_parquet(?) where "{column.name}" is not null',
                    [[str(f) for f in files]]).fetchall()
                values.setdefault(column.name, set()).update(value for (value,) in rows if value)
    return values


def raw_names(landing: Path) -> set[str]:
    """Personal text columns holding people's names (contract columns named `*_name` and marked personal)."""
    personal = landed_personal_values(landing)
    return {value for column, found in personal.items() if column.endswith("_name") for value in found}


def leaks(text: str, names: set[str]) -> dict[str, list[str]]:
    """Every forbidden value found in `text`; empty when clean."""
    found = {"citizen_ids": valid_citizen_ids(text), "mobiles": mobile_numbers(text),
             "names": sorted(name for name in names if name in text)}
    return {kind: values[:5] for kind, values in found.items() if values}
