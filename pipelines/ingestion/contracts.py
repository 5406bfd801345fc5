"""Source contracts: one YAML file per departmental source, read into typed, validated objects.

A contract says how a department delivers (format, encoding, file pattern, partitioning) and maps each delivered
column to a data element of the city standard. Everything in ingestion is driven by it; see
docs/source_contracts.md for every key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from datetime import date, datetime
from pathlib import Path

import yaml

from pipelines import settings

FORMATS = ("csv", "jsonl", "xlsx")
PARTITION_TYPES = ("daily", "monthly")
ELEMENT_TYPES = (
    "string", "code", "timestamp", "date", "epoch_ms", "integer", "decimal", "json", "citizen_id", "boolean_zh",
)
_PARTITION_PLACEHOLDER = re.compile(r"\{partition:([^}]+)\}")
_ELEMENT_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class ContractError(ValueError):
    """A source contract is missing a key or has a value the pipeline cannot use."""


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    source: str
    type: str
    description: str
    required: bool = False
    format: str | None = None
    code_set: str | None = None
    personal: bool = False


@dataclass(frozen=True)
class SourceContract:
    source: str
    entity: str
    title: str
    description: str
    department_code: str
    department_name: str
    owner: str
    format: str
    encoding: str
    file_pattern: str
    sheet: str | None
    partition_type: str
    start_date: date
    record_key: tuple[str, ...]
    columns: tuple[ColumnSpec, ...]
    path: Path

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns if column.required)

    def partition_key_of(self, file_name: str) -> str | None:
        """The partition a delivered file belongs to, read from its name; None when the name does not match."""
        match = _file_name_regex(self.file_pattern).fullmatch(file_name)
        if not match:
            return None
        try:
            day = datetime.strptime(match.group("partition"), _placeholder_format(self.file_pattern)).date()
        except ValueError:
            return None
        return (day.replace(day=1) if self.partition_type == "monthly" else day).isoformat()

    def file_glob(self, partition_start: date) -> str:
        """The contract's file pattern with its `{partition:FMT}` placeholder filled for one partition."""
        return _PARTITION_PLACEHOLDER.sub(lambda match: partition_start.strftime(match.group(1)), self.file_pattern)


def _placeholder_format(file_pattern: str) -> str:
    return _PARTITION_PLACEHOLDER.search(file_pattern).group(1)


_STRFTIME_REGEX = {"%Y": r"\d{4}", "%m": r"\d{2}", "%d": r"\d{2}", "%H": r"\d{2}", "%M": r"\d{2}"}


def _glob_to_regex(glob: str) -> str:
    return re.escape(glob).replace(r"\*", ".*").replace(r"\?", ".")


def _file_name_regex(file_pattern: str) -> re.Pattern:
    """`12345_workorders_{partition:%Y%m%d}*.csv` → a regex with a `partition` group for the date text."""
    before, date_format, after = _PARTITION_PLACEHOLDER.split(file_pattern, maxsplit=1)
    date_regex = re.sub("%[A-Za-z]", lambda directive: _STRFTIME_REGEX[directive.group(0)], re.escape(date_format))
    return re.compile(_glob_to_regex(before) + f"(?P<partition>{date_regex})" + _glob_to_regex(after))


def _require(mapping: dict, key: str, where: str):
    if key not in mapping or mapping[key] in (None, ""):
        raise ContractError(f"{where}: missing required key '{key}'")
    return mapping[key]


def _one_of(value: str, allowed: tuple[str, ...], where: str) -> str:
    if value not in allowed:
        raise ContractError(f"{where}: '{value}' is not one of {', '.join(allowed)}")
    return value


def _column(raw: dict, where: str) -> ColumnSpec:
    name = _require(raw, "name", where)
    if not _ELEMENT_NAME.match(name):
        raise ContractError(f"{where}: column name '{name}' must be snake_case ASCII (a data element name)")
    where = f"{where} column '{name}'"
    return ColumnSpec(
        name=name,
        source=str(_require(raw, "source", where)),
        type=_one_of(_require(raw, "type", where), ELEMENT_TYPES, f"{where} type"),
        description=_require(raw, "description", where),
        required=bool(raw.get("required", False)),
        format=raw.get("format"),
        code_set=raw.get("code_set"),
        personal=bool(raw.get("personal", False)),
    )


def parse_contract(raw: dict, path: Path) -> SourceContract:
    where = path.name
    delivery = _require(raw, "delivery", where)
    partitioning = _require(raw, "partitioning", where)
    department = _require(raw, "department", where)
    columns = tuple(_column(column, where) for column in _require(raw, "columns", where))
    names = [column.name for column in columns]
    if len(set(names)) != len(names):
        raise ContractError(f"{where}: column names repeat: {sorted({n for n in names if names.count(n) > 1})}")
    record_key = tuple(_require(raw, "record_key", where))
    unknown_keys = [key for key in record_key if key not in names]
    if unknown_keys:
        raise ContractError(f"{where}: record_key names unknown columns {unknown_keys}")
    file_format = _one_of(_require(delivery, "format", f"{where} delivery"), FORMATS, f"{where} delivery format")
    file_pattern = _require(delivery, "file_pattern", f"{where} delivery")
    if not _PARTITION_PLACEHOLDER.search(file_pattern):
        raise ContractError(f"{where}: delivery file_pattern needs a {{partition:FMT}} placeholder")
    try:
        _file_name_regex(file_pattern)
    except KeyError as directive:
        raise ContractError(
            f"{where}: file_pattern uses {directive}; supported: {', '.join(_STRFTIME_REGEX)}"
        ) from None
    return SourceContract(
        source=_require(raw, "source", where),
        entity=_require(raw, "entity", where),
        title=_require(raw, "title", where),
        description=str(_require(raw, "description", where)).strip(),
        department_code=_require(department, "code", f"{where} department"),
        department_name=_require(department, "name", f"{where} department"),
        owner=_require(department, "owner", f"{where} department"),
        format=file_format,
        encoding=delivery.get("encoding", "utf-8"),
        file_pattern=file_pattern,
        sheet=delivery.get("sheet"),
        partition_type=_one_of(
            _require(partitioning, "type", f"{where} partitioning"), PARTITION_TYPES, f"{where} partitioning type"
        ),
        start_date=date.fromisoformat(str(_require(partitioning, "start_date", f"{where} partitioning"))),
        record_key=record_key,
        columns=columns,
        path=path,
    )


def load_contract(path: Path) -> SourceContract:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ContractError(f"{path.name}: not valid YAML: {error}") from None
    if not isinstance(raw, dict):
        raise ContractError(f"{path.name}: a contract must be a YAML mapping")
    return parse_contract(raw, path)


@cache
def load_contracts(directory: Path | None = None) -> dict[str, SourceContract]:
    """Every contract in the directory, by source name (read once per process)."""
    contracts: dict[str, SourceContract] = {}
    for path in sorted((directory or settings.CONTRACTS_DIR).glob("*.yaml")):
        contract = load_contract(path)
        if contract.source in contracts:
            raise ContractError(f"{path.name}: source '{contract.source}' is declared twice")
        contracts[contract.source] = contract
    return contracts
