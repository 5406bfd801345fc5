"""Coded columns of a contract: the standard code set they conform to, the element it codes, and the source's own
mapping seed when there is one.

A code set is a seed `std_<...>` of the city standard whose first column is `<element>_code` and which has a column
`<element>_name` (std_channel: channel_code, channel_name). A source may map its own values with a seed
`map_<element>__<source>.csv` (columns `source_value, standard_code`) in the mappings folder: the conform macros use
it before the standard's names and codes, so a department that writes `Closed` needs a seed row, not new SQL.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from pipelines.ingestion.contracts import ColumnSpec, ContractError, SourceContract

MAPPING_COLUMNS = ("source_value", "standard_code")
MAPPINGS_FOLDER = "mappings"


@dataclass(frozen=True)
class CodedColumn:
    column: str
    code_set: str
    element: str
    code_column: str
    name_column: str
    mapping_seed: str  # map_<element>__<source>: the seed to create or extend for this source's own values
    mapping_seed_exists: bool


def seed_header(seeds_dir: Path, seed: str) -> list[str] | None:
    paths = sorted(seeds_dir.rglob(f"{seed}.csv"))
    if not paths:
        return None
    with paths[0].open(encoding="utf-8", newline="") as file:
        return next(csv.reader(file), [])


def mapping_seed_name(element: str, source: str) -> str:
    return f"map_{element}__{source}"


def coded_column(contract: SourceContract, column: ColumnSpec, seeds_dir: Path) -> CodedColumn:
    where = f"{contract.path.name}: column {column.name}"
    header = seed_header(seeds_dir, column.code_set)
    if header is None:
        raise ContractError(f"{where}: code_set '{column.code_set}' is no seed in {seeds_dir}")
    element = header[0].removesuffix("_code") if header and header[0].endswith("_code") else None
    if element is None or f"{element}_name" not in header:
        raise ContractError(f"{where}: code_set '{column.code_set}' must start with a column <element>_code and "
                            f"have <element>_name (its header is {','.join(header)})")
    mapping = mapping_seed_name(element, contract.source)
    mapping_path = seeds_dir / MAPPINGS_FOLDER / f"{mapping}.csv"
    if mapping_path.exists() and seed_header(seeds_dir, mapping) != list(MAPPING_COLUMNS):
        raise ContractError(f"{mapping_path}: a mapping seed has the header {','.join(MAPPING_COLUMNS)}")
    return CodedColumn(column.name, column.code_set, element, f"{element}_code", f"{element}_name", mapping,
                       mapping_path.exists())


def coded_columns(contract: SourceContract, seeds_dir: Path) -> list[CodedColumn]:
    coded = [coded_column(contract, column, seeds_dir) for column in contract.columns if column.code_set]
    elements = [column.element for column in coded]
    for element in elements:
        if elements.count(element) > 1:
            raise ContractError(f"{contract.path.name}: two columns code the element '{element}'; a source maps "
                                f"one column per element (seed {mapping_seed_name(element, contract.source)})")
    return coded
