"""The schema of a source contract: every key, its type and default, unknown keys rejected at every level.

`validate_contract_text` turns a contract's YAML text into a validated `ContractModel` or raises `ContractError`
naming the file, the key and its line. docs/source_contracts.md documents every key.
"""

from __future__ import annotations

import codecs
import difflib
from datetime import UTC, date, datetime, time
from typing import Annotated, Literal

import yaml
from pydantic import (
    BaseModel, ConfigDict, Field, StrictBool, ValidationError, ValidationInfo, field_validator, model_validator,
)

from pipelines.ingestion.contracts import EXCEL_DATE, FORMAT_ALTERNATIVE_SEPARATOR, ContractError

FORMATS = ("csv", "jsonl", "xlsx", "parquet", "json", "xml")
PARTITION_TYPES = ("daily", "weekly", "monthly")
ELEMENT_TYPES = (
    "string", "code", "timestamp", "date", "epoch_ms", "integer", "decimal", "json", "citizen_id", "boolean_zh",
)
_FORMATTED_TYPES = ("timestamp", "date")
_ROUND_TRIP_PROBE = datetime(2031, 12, 25, 13, 47, 59)  # every component distinct, day > 12
_Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
_Text = Annotated[str, Field(min_length=1)]
_XmlName = Annotated[str, Field(pattern=r"^[^\s/@<>&'\"=]+$")]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DepartmentModel(_Section):
    code: _Identifier
    name: _Text


class DeliveryModel(_Section):
    format: Literal[FORMATS]
    file_pattern: _Text
    encoding: _Text = "utf-8"
    sheet: _Text | None = None
    record_element: _XmlName | None = None
    complete_after_seconds: Annotated[int, Field(ge=0)] = 60
    done_marker: _Text | None = None
    max_rows: Annotated[int, Field(gt=0)] = 1_000_000
    max_columns: Annotated[int, Field(gt=0)] = 200
    max_field_bytes: Annotated[int, Field(gt=0)] = 1_048_576

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        try:
            codecs.lookup(value)
        except LookupError:
            raise ValueError(f"'{value}' is not an encoding Python knows (e.g. utf-8, gb18030)") from None
        return value

    @field_validator("done_marker")
    @classmethod
    def _marker_template(cls, value: str | None) -> str | None:
        if value is None:
            return value
        try:
            marker = value.format(name="delivery.csv")
        except (KeyError, IndexError, ValueError):
            raise ValueError(f"'{value}' may only use the placeholder {{name}} (the delivered file's name)") from None
        if marker == "delivery.csv" or "/" in marker:
            raise ValueError(f"'{value}' must name another file in the same folder, e.g. '{{name}}.done'")
        return value

    @field_validator("sheet")
    @classmethod
    def _sheet_only_for_workbooks(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get("format") != "xlsx":
            raise ValueError("'sheet' applies to xlsx deliveries only")
        return value

    @field_validator("record_element")
    @classmethod
    def _record_element_only_for_xml(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get("format") != "xml":
            raise ValueError("'record_element' applies to xml deliveries only")
        return value

    @model_validator(mode="after")
    def _xml_names_its_records(self) -> DeliveryModel:
        if self.format == "xml" and self.record_element is None:
            raise ValueError("an xml delivery needs 'record_element': the element holding one record")
        return self


class PartitioningModel(_Section):
    type: Literal[PARTITION_TYPES]
    start_date: date


class FreshnessModel(_Section):
    expected_by: time = time(6, 0)
    warn_after_hours: Annotated[float, Field(ge=0)] = 4
    error_after_hours: Annotated[float, Field(ge=0)] = 24

    @field_validator("expected_by", mode="before")
    @classmethod
    def _clock_time(cls, value):
        if isinstance(value, int):  # YAML 1.1 reads an unquoted 06:00 as the sexagesimal integer 360
            raise ValueError("quote the time, e.g. \"06:00\"")
        try:
            return datetime.strptime(str(value), "%H:%M").time()
        except ValueError:
            raise ValueError(f"'{value}' is not a time of day HH:MM") from None

    @field_validator("error_after_hours")
    @classmethod
    def _error_after_warn(cls, value: float, info: ValidationInfo) -> float:
        if value < info.data.get("warn_after_hours", 0):
            raise ValueError("error_after_hours must not be smaller than warn_after_hours")
        return value


class VolumeModel(_Section):
    history_partitions: Annotated[int, Field(gt=0)] = 28
    warn_below_ratio: Annotated[float, Field(ge=0, le=1)] = 0.5
    error_below_ratio: Annotated[float, Field(ge=0, le=1)] = 0.1

    @field_validator("error_below_ratio")
    @classmethod
    def _error_below_warn(cls, value: float, info: ValidationInfo) -> float:
        if value > info.data.get("warn_below_ratio", 1):
            raise ValueError("error_below_ratio must not be larger than warn_below_ratio")
        return value


class ColumnModel(_Section):
    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)

    name: _Identifier
    source: _Text
    type: Literal[ELEMENT_TYPES]
    description: _Text
    required: StrictBool = False
    format: _Text | None = None
    code_set: _Identifier | None = None
    personal: StrictBool = False

    @field_validator("format")
    @classmethod
    def _format_round_trips(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return value
        if info.data.get("type") not in _FORMATTED_TYPES:
            raise ValueError(f"applies to {' and '.join(_FORMATTED_TYPES)} columns, not to {info.data.get('type')}")
        for alternative in value.split(FORMAT_ALTERNATIVE_SEPARATOR):
            if alternative != EXCEL_DATE:
                _check_round_trip(alternative)
        return value


class ContractModel(_Section):
    source: _Identifier
    entity: _Identifier
    title: _Text
    description: _Text
    department: DepartmentModel
    delivery: DeliveryModel
    partitioning: PartitioningModel
    freshness: FreshnessModel = FreshnessModel()
    volume: VolumeModel = VolumeModel()
    record_key: Annotated[list[_Identifier], Field(min_length=1)]
    columns: Annotated[list[ColumnModel], Field(min_length=1)]


def _check_round_trip(pattern: str) -> None:
    """A date format must parse back what it formats: catches unknown directives and formats without a date."""
    probe = _ROUND_TRIP_PROBE.replace(tzinfo=UTC) if "%z" in pattern else _ROUND_TRIP_PROBE  # %z needs an offset
    try:
        text = probe.strftime(pattern)
        parsed = datetime.strptime(text, pattern)
    except ValueError as error:
        raise ValueError(f"'{pattern}' is not a usable date format: {error}") from None
    if parsed.date() != probe.date() or parsed.strftime(pattern) != text:
        raise ValueError(
            f"'{pattern}' does not round-trip: {probe} is written '{text}' and read back as {parsed}"
        )


# --- YAML with line numbers -----------------------------------------------------------------------------------

# libyaml's safe loader where PyYAML was built with it: every process that lands or checks parses every contract
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

class ContractSource:
    """A contract's YAML, parsed, with the line of every key for error messages."""

    def __init__(self, text: str, file_name: str):
        self.file_name = file_name
        try:
            self.root = yaml.compose(text, Loader=YAML_LOADER)
            self.data = yaml.load(text, Loader=YAML_LOADER)
        except yaml.YAMLError as error:
            raise ContractError(f"{file_name}: not valid YAML: {error}") from None
        if not isinstance(self.root, yaml.MappingNode):
            raise ContractError(f"{file_name}: a contract must be a YAML mapping")
        self._reject_repeated_keys(self.root, ())

    def line_of(self, loc: tuple) -> int:
        """1-based line of the deepest node on `loc` that exists (the key itself when present)."""
        node, line = self.root, self.root.start_mark.line
        for part in loc:
            if isinstance(node, yaml.MappingNode):
                match = next(((k, v) for k, v in node.value if k.value == str(part)), None)
                if match is None:
                    break
                line, node = match[0].start_mark.line, match[1]
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
                node = node.value[part]
                line = node.start_mark.line
            else:
                break
        return line + 1

    def error(self, loc: tuple, message: str) -> ContractError:
        key = ".".join(str(part) if isinstance(part, str) else f"[{part}]" for part in loc).replace(".[", "[")
        return ContractError(f"{self.file_name}:{self.line_of(loc)}: {key or '(top level)'}: {message}")

    def _reject_repeated_keys(self, node, loc: tuple) -> None:
        if isinstance(node, yaml.MappingNode):
            seen = set()
            for key, value in node.value:
                if key.value in seen:
                    raise ContractError(f"{self.file_name}:{key.start_mark.line + 1}: "
                                        f"{'.'.join(map(str, (*loc, key.value)))}: key repeats")
                seen.add(key.value)
                self._reject_repeated_keys(value, (*loc, key.value))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                self._reject_repeated_keys(item, (*loc, index))


def validate_contract_text(text: str, file_name: str) -> tuple[ContractModel, ContractSource]:
    source = ContractSource(text, file_name)
    try:
        return ContractModel.model_validate(source.data), source
    except ValidationError as errors:
        first = errors.errors(include_url=False)[0]
        raise source.error(tuple(first["loc"]), _message(first, errors)) from None


def _message(error: dict, errors: ValidationError) -> str:
    kind, loc = error["type"], error["loc"]
    if kind == "extra_forbidden":
        allowed = _allowed_keys(loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.5)
        hint = f"; did you mean '{close[0]}'?" if close else f"; allowed: {', '.join(allowed)}"
        return f"unknown key '{loc[-1]}'{hint}"
    if kind == "missing":
        return f"missing required key '{loc[-1]}'"
    if kind == "literal_error":
        return f"'{error['input']}' is not one of {error['ctx']['expected']}"
    if kind == "string_pattern_mismatch":
        return f"'{error['input']}' must be snake_case ASCII (a-z, 0-9, _)"
    more = len(errors.errors()) - 1
    return error["msg"].removeprefix("Value error, ") + (f" (and {more} more problem(s))" if more else "")


def _allowed_keys(loc: tuple) -> list[str]:
    model: type[BaseModel] = ContractModel
    for part in loc:
        if isinstance(part, int):
            continue
        annotation = model.model_fields[part].annotation
        candidates = [annotation, *getattr(annotation, "__args__", ())]
        model = next(c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel))
    return sorted(model.model_fields)
