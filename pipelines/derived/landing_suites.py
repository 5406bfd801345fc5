"""The landing GX suite a contract determines: its structural expectations on the landed text.

For a source `s` the suite `s` (check `gx_s` on the landing asset) holds, derived from contracts/s.yaml:
- ERROR (holds the publication): a required time or number column (`timestamp`, `date`, `epoch_ms`, `integer`,
  `decimal`) not in its contract format or its type's pattern in more than 5% of the rows: landing does not
  parse values, and a changed export format breaks the partition's facts (a source with no such column has no
  blocking landing check: spelling variants of codes are normal before standardization);
- WARN: every time column in its format (99%), `integer` / `decimal` / `citizen_id` / `boolean_zh` columns in
  their type's pattern (99%; citizen IDs 95%), every coded column's values in its code set: the standard's names
  and codes and the source's mapping seed (95%: spelling variants are normal before standardization).
Required-but-empty values never reach landing (quarantined as missing_required), so no expectation asks for them.
A hand-written `expectations/s.json` whose target is the landing of `s` adds what a contract cannot say (an
identifier or phone pattern); its expectations are appended to the derived ones.
"""

from __future__ import annotations

import re
from pathlib import Path

from pipelines.derived.code_sets import MAPPINGS_FOLDER, coded_columns
from pipelines.ingestion.contracts import EXCEL_DATE, FORMAT_ALTERNATIVE_SEPARATOR, SourceContract

FORMAT_MOSTLY = 0.99
CODE_SET_MOSTLY = 0.95
BROKEN_FORMAT_MOSTLY = 0.95  # ERROR below this share: the delivery's time or number format changed
TIME_TYPES = ("timestamp", "date", "epoch_ms")
# A required time or number delivered mostly in another shape is a broken export: the suite blocks (ERROR) on it.
BLOCKING_TYPES = (*TIME_TYPES, "integer", "decimal")
_DIRECTIVE_REGEX = {
    "%Y": r"\d{4}", "%m": r"\d{1,2}", "%d": r"\d{1,2}", "%H": r"\d{1,2}", "%M": r"\d{1,2}", "%S": r"\d{1,2}",
    "%y": r"\d{2}", "%f": r"\d{1,6}", "%z": r"[+-]\d{2}:?\d{2}", "%b": r"[A-Za-z]{3}", "%B": r"[A-Za-z]+",
    "%p": r"[AaPp][Mm]", "%I": r"\d{1,2}", "%j": r"\d{1,3}", "%%": "%",
}
# An XLSX date cell lands as its serial number or as YYYY-MM-DD[ HH:MM:SS] (docs/architecture.md, Landing).
_EXCEL_DATE_REGEX = r"\d{1,7}(?:\.\d+)?|\d{4}-\d{2}-\d{2}(?: \d{2}:\d{2}:\d{2})?"
TYPE_REGEX = {
    "epoch_ms": r"^\d{13}$",
    "integer": r"^-?\d+$",
    "decimal": r"^-?\d+(?:\.\d+)?$",
    "citizen_id": r"^\d{17}[\dX]$",
    "boolean_zh": r"^(?:是|否)$",
}


def _literal(text: str) -> str:
    return re.escape(text).replace("\\ ", " ")


def format_regex(formats: str) -> str:
    """`%Y/%m/%d %H:%M:%S|excel_date` → one anchored regex accepting any alternative."""
    alternatives = []
    for alternative in formats.split(FORMAT_ALTERNATIVE_SEPARATOR):
        if alternative == EXCEL_DATE:
            alternatives.append(_EXCEL_DATE_REGEX)
            continue
        parts = re.split(r"(%.)", alternative)
        alternatives.append("".join(_DIRECTIVE_REGEX.get(part, _literal(part)) if part.startswith("%")
                                    else _literal(part) for part in parts))
    return "^(?:" + "|".join(alternatives) + ")$"


def _expectation(kind: str, severity: str, **kwargs) -> dict:
    return {"type": kind, "kwargs": kwargs, "meta": {"severity": severity, "derived_from": "contract"}}


def _seed_schema(seeds_dir: Path, seed: str) -> str:
    """dbt puts a seed in the schema named after its folder (dbt_project.yml: standard, mappings)."""
    return next(seeds_dir.rglob(f"{seed}.csv")).parent.name


def _format_expectation(column, severity: str, mostly: float) -> dict:
    """A single strftime format is checked by parsing (GX match_strftime_format); alternatives and Excel date
    cells by a regex of their shapes."""
    if column.format and FORMAT_ALTERNATIVE_SEPARATOR not in column.format and column.format != EXCEL_DATE:
        return _expectation("expect_column_values_to_match_strftime_format", severity, column=column.name,
                            strftime_format=column.format, mostly=mostly)
    regex = format_regex(column.format) if column.format else TYPE_REGEX[column.type]
    return _expectation("expect_column_values_to_match_regex", severity, column=column.name, regex=regex,
                        mostly=mostly)


def has_format_expectation(column) -> bool:
    """The suite checks the column's delivered text against its format or its type's pattern."""
    return bool(column.format) or column.type in TYPE_REGEX


def landing_expectations(contract: SourceContract, seeds_dir: Path) -> list[dict]:
    expectations = [_format_expectation(column, "error", BROKEN_FORMAT_MOSTLY) for column in contract.columns
                    if column.required and column.type in BLOCKING_TYPES and has_format_expectation(column)]
    for column in contract.columns:
        if has_format_expectation(column):
            mostly = CODE_SET_MOSTLY if column.type == "citizen_id" else FORMAT_MOSTLY
            expectations.append(_format_expectation(column, "warn", mostly))
    for coded in coded_columns(contract, seeds_dir):
        schema = _seed_schema(seeds_dir, coded.code_set)
        references = [f"{schema}.{coded.code_set}.{coded.name_column}", f"{schema}.{coded.code_set}.{coded.code_column}"]
        if coded.mapping_seed_exists:
            references.append(f"{MAPPINGS_FOLDER}.{coded.mapping_seed}.source_value")
        expectations.append(_expectation("expect_column_values_to_be_in_set", "warn", column=coded.column,
                                         value_set={"$PARAMETER": references}, mostly=CODE_SET_MOSTLY))
    return expectations


def landing_suite_document(contract: SourceContract, seeds_dir: Path, supplement: dict | None = None) -> dict:
    """The suite as a GX suite document (the format of pipelines/quality/suites.py)."""
    return {
        "name": contract.source,
        "notes": f"Derived from contracts/{contract.path.name}"
                 + (f"; plus {supplement['name']}.json: {supplement.get('notes', '')}" if supplement else "."),
        "meta": {
            "target": {"kind": "landing", "source": contract.source},
            "asset_key": ["landing", contract.source],
            "key_column": contract.record_key[0],
            "window_column": "partition_key",
            "window_grain": contract.grain,
        },
        "expectations": landing_expectations(contract, seeds_dir) + list((supplement or {}).get("expectations", [])),
    }
