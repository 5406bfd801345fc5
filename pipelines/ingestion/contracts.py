"""Source contracts: one YAML file per departmental source, read into typed, validated objects.

A contract says how a department delivers (format, encoding, file pattern, partitioning) and maps each delivered
column to a data element of the city standard. Everything in ingestion is driven by it; see
docs/source_contracts.md for every key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines import settings

if TYPE_CHECKING:  # the schema (pydantic) is imported only to validate a contract not validated before
    from pipelines.ingestion.contract_schema import ContractModel, ContractSource

__all__ = ["ContractError", "ColumnSpec", "FreshnessSpec", "SourceContract", "VolumeSpec", "load_contract",
           "load_contracts", "read_contracts"]

_PARTITION_PLACEHOLDER = re.compile(r"\{partition:([^}]+)\}")
# Column formats: strftime patterns, alternatives separated by "|"; `excel_date` is an XLSX date serial number.
FORMAT_ALTERNATIVE_SEPARATOR = "|"
EXCEL_DATE = "excel_date"


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
class FreshnessSpec:
    """When a partition's delivery is due: `expected_by` local time on the day after a daily partition (the day
    after the month for a monthly one), then WARN after `warn_after_hours` and ERROR after `error_after_hours`."""

    expected_by: time = time(6, 0)
    warn_after_hours: float = 4
    error_after_hours: float = 24


@dataclass(frozen=True)
class VolumeSpec:
    """A partition's row count against the median of the source's previous `history_partitions` partitions."""

    history_partitions: int = 28
    warn_below_ratio: float = 0.5
    error_below_ratio: float = 0.1


@dataclass(frozen=True)
class SourceContract:
    source: str
    entity: str
    title: str
    description: str
    department_code: str
    department_name: str
    format: str
    encoding: str
    file_pattern: str
    sheet: str | None
    partition_type: str
    start_date: date
    record_key: tuple[str, ...]
    columns: tuple[ColumnSpec, ...]
    path: Path
    complete_after_seconds: int = 60
    done_marker: str | None = None
    max_rows: int = 1_000_000
    max_columns: int = 200
    max_field_bytes: int = 1_048_576
    record_element: str | None = None
    freshness: FreshnessSpec = field(default_factory=FreshnessSpec)
    volume: VolumeSpec = field(default_factory=VolumeSpec)

    @property
    def grain(self) -> str:
        """The window grain of the source's partitions: 'day', 'week' or 'month'."""
        return {"daily": "day", "weekly": "week", "monthly": "month"}[self.partition_type]

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns if column.required)

    def partition_key_of(self, file_name: str) -> str | None:
        """The partition a delivered file belongs to, read from its name; None when the name does not match."""
        match = _file_name_regex(self.file_pattern).fullmatch(file_name)
        if not match:
            return None
        try:
            day = _parse_partition_text(match.group("partition"), _placeholder_format(self.file_pattern))
        except ValueError:
            return None
        return self.period_start(day).isoformat()

    def period_start(self, day: date) -> date:
        """The first day of the partition holding `day` (its partition key): the day itself, the Monday of its
        ISO week, or the first of its month."""
        if self.partition_type == "weekly":
            return day - timedelta(days=day.weekday())
        return day.replace(day=1) if self.partition_type == "monthly" else day

    def period_end(self, partition_start: date) -> date:
        """The first day after the partition starting at `partition_start` (exclusive end of its period)."""
        if self.partition_type == "monthly":
            return (partition_start.replace(day=1) + timedelta(days=32)).replace(day=1)
        return partition_start + timedelta(days=7 if self.partition_type == "weekly" else 1)

    def file_glob(self, partition_start: date) -> str:
        """The contract's file pattern with its `{partition:FMT}` placeholder filled for one partition."""
        return _PARTITION_PLACEHOLDER.sub(lambda match: partition_start.strftime(match.group(1)), self.file_pattern)


def _placeholder_format(file_pattern: str) -> str:
    return _PARTITION_PLACEHOLDER.search(file_pattern).group(1)


_STRFTIME_REGEX = {"%Y": r"\d{4}", "%m": r"\d{2}", "%d": r"\d{2}", "%H": r"\d{2}", "%M": r"\d{2}",
                   "%G": r"\d{4}", "%V": r"\d{2}"}
_ISO_WEEK_DIRECTIVES = ("%G", "%V")


def _parse_partition_text(text: str, date_format: str) -> date:
    """The date a file name's partition text names; an ISO week (`%G-W%V`) names its Monday."""
    if all(directive in date_format for directive in _ISO_WEEK_DIRECTIVES):
        return datetime.strptime(f"{text} 1", f"{date_format} %u").date()
    return datetime.strptime(text, date_format).date()


def _glob_to_regex(glob: str) -> str:
    return re.escape(glob).replace(r"\*", ".*").replace(r"\?", ".")


def _file_name_regex(file_pattern: str) -> re.Pattern:
    """`12345_workorders_{partition:%Y%m%d}*.csv` → a regex with a `partition` group for the date text."""
    before, date_format, after = _PARTITION_PLACEHOLDER.split(file_pattern, maxsplit=1)
    date_regex = re.sub("%[A-Za-z]", lambda directive: _STRFTIME_REGEX[directive.group(0)], re.escape(date_format))
    return re.compile(_glob_to_regex(before) + f"(?P<partition>{date_regex})" + _glob_to_regex(after))


def _checked(model: ContractModel, source: ContractSource) -> None:
    """What the schema alone cannot say: relations between keys."""
    names = [column.name for column in model.columns]
    for index, name in enumerate(names):
        if name in names[:index]:
            raise source.error(("columns", index, "name"), f"column name '{name}' repeats")
    for index, key in enumerate(model.record_key):
        if key not in names:
            raise source.error(("record_key", index), f"record_key names unknown column '{key}'")
    pattern = model.delivery.file_pattern
    if "/" in pattern or "\\" in pattern:
        raise source.error(("delivery", "file_pattern"), "must be a file name: deliveries lie in inbox/<source>/")
    if not _PARTITION_PLACEHOLDER.search(pattern):
        raise source.error(("delivery", "file_pattern"), "needs a {partition:FMT} placeholder")
    try:
        _file_name_regex(pattern)
    except KeyError as directive:
        raise source.error(("delivery", "file_pattern"),
                           f"uses {directive}; supported: {', '.join(_STRFTIME_REGEX)}") from None
    date_format = _placeholder_format(pattern)
    if ("%G" in date_format) != ("%V" in date_format):
        raise source.error(("delivery", "file_pattern"), "an ISO week needs both %G (ISO year) and %V (ISO week)")
    partition_type = model.partitioning.type
    if ("%V" in date_format or "%d" not in date_format) and partition_type == "daily":
        raise source.error(("delivery", "file_pattern"), "a daily partition's file name needs the day (%d)")
    if "%V" in date_format and partition_type != "weekly":
        raise source.error(("delivery", "file_pattern"), "%G/%V (ISO week) applies to weekly partitions only")
    if partition_type == "weekly" and model.partitioning.start_date.weekday() != 0:
        raise source.error(("partitioning", "start_date"),
                           f"a weekly partition starts on a Monday; {model.partitioning.start_date} is not one")


def parse_contract(text: str, path: Path) -> SourceContract:
    from pipelines.ingestion.contract_schema import validate_contract_text

    model, source = validate_contract_text(text, path.name)
    _checked(model, source)
    delivery = model.delivery
    return SourceContract(
        source=model.source,
        entity=model.entity,
        title=model.title,
        description=model.description.strip(),
        department_code=model.department.code,
        department_name=model.department.name,
        format=delivery.format,
        encoding=delivery.encoding,
        file_pattern=delivery.file_pattern,
        sheet=delivery.sheet,
        partition_type=model.partitioning.type,
        start_date=model.partitioning.start_date,
        record_key=tuple(model.record_key),
        columns=tuple(ColumnSpec(**column.model_dump()) for column in model.columns),
        path=path,
        complete_after_seconds=delivery.complete_after_seconds,
        done_marker=delivery.done_marker,
        max_rows=delivery.max_rows,
        max_columns=delivery.max_columns,
        max_field_bytes=delivery.max_field_bytes,
        record_element=delivery.record_element,
        freshness=FreshnessSpec(**model.freshness.model_dump()),
        volume=VolumeSpec(**model.volume.model_dump()),
    )


def load_contract(path: Path) -> SourceContract:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ContractError(f"{path}: cannot read the contract: {error}") from None
    return parse_contract(text, path)


@cache
def load_contracts(directory: Path | None = None) -> dict[str, SourceContract]:
    """Every contract in the directory, by source name (read once per process, validated once per content:
    `contract_cache`)."""
    from pipelines.ingestion.contract_cache import cached_contracts, contracts_key, keep_contracts

    directory = directory or settings.CONTRACTS_DIR
    try:
        key = contracts_key(directory, _contract_paths(directory))
    except OSError:  # a contract that cannot be read: reading it names it
        return read_contracts(directory)
    contracts = cached_contracts(key)
    if contracts is None:
        contracts = read_contracts(directory)
        keep_contracts(key, contracts)
    return contracts


def read_contracts(directory: Path) -> dict[str, SourceContract]:
    """Every contract in the directory, by source name, read and validated now."""
    contracts: dict[str, SourceContract] = {}
    for path in _contract_paths(directory):
        contract = load_contract(path)
        if contract.source in contracts:
            raise ContractError(f"{path.name}: source '{contract.source}' is declared twice")
        contracts[contract.source] = contract
    return contracts


def _contract_paths(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.yaml"))
