"""The dbt files a contract determines, written into the git-ignored folder dbt_project/derived/ by `make`.

dbt reads sources and models only from files, so each contract gets, under derived/models/staging/<source>/:
- `_<source>__sources.yml`: the landed source (every contract column, VARCHAR, its description, `personal` as
  column meta and tag);
- `stg_<source>__<entity>.sql` and `.yml`: the staging model (one line calling the macro `contract_staging`) and its
  column descriptions and tests;
- `_<source>__mapping_seeds.yml`: the properties of the source's mapping seeds that exist (types, tests against the
  standard code set);
and derived/macros/source_contracts.sql holds every contract's metadata for the macros (staging, unit-test
fixtures, conformance, the unmapped-code report, the data-quality marts). Files are rewritten only when their text changes, and files of a
removed contract are deleted, so `make` rebuilds the manifest only after a real change.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from pipelines.departments import department_of
from pipelines.derived.code_sets import MAPPING_COLUMNS, coded_columns
from pipelines.derived.landing_suites import has_format_expectation
from pipelines.ingestion.contracts import FORMAT_ALTERNATIVE_SEPARATOR, SourceContract

DERIVED_FOLDER = "derived"
HEADER = "Derived from {contract} by `python -m pipelines.derived` (run by make): edit the contract, not this file."
PARSED_TYPES = ("timestamp", "date", "epoch_ms", "integer", "decimal", "boolean_zh")
LINEAGE_COLUMNS = (
    ("_source_file", "varchar", "Lineage (来源文件): path of the delivered file, relative to the inbox."),
    ("_source_row", "bigint", "Lineage (来源行号): 1-based record number in the delivered file."),
    ("_load_id", "varchar", "Lineage (加载批次): identifier of the landing run that wrote the row."),
    ("_ingested_at", "timestamp with time zone", "Lineage (入湖时间): when the row was landed."),
    ("_record_hash", "varchar", "Lineage (记录指纹): sha256 hex of the delivered record."),
    ("partition_key", "date", "Landed partition (分区键): the day, the Monday of the ISO week for a weekly source, "
                              "or the first day of the month for a monthly one."),
)
_STAGED_AS = {
    "string": "text, full-width folded to half-width, trimmed, empty to NULL",
    "code": "code as delivered, full-width folded, spaces removed, empty to NULL",
    "timestamp": "TIMESTAMPTZ in the city's time zone (Asia/Shanghai); NULL when the text did not parse",
    "date": "DATE; NULL when the text did not parse",
    "epoch_ms": "TIMESTAMPTZ from epoch milliseconds (local time text accepted too); NULL when it did not parse",
    "integer": "BIGINT; NULL when the text is not a number",
    "decimal": "DECIMAL(18,6) (separators and currency signs allowed); NULL when the text is not a number",
    "json": "JSON text, trimmed",
    "citizen_id": "upper case, spaces removed",
    "boolean_zh": "BOOLEAN from 是/否 (and y/n, true/false, 1/0); NULL otherwise",
}
# A monthly source lands a whole register (or month) per partition, and its models read all of its staging: that
# staging is an incremental table cleaned once per landed partition (macros/staging_increments.sql). Other sources'
# staging stays a view: their models read a day's window of it.
TABLE_STAGED_PARTITIONING = ("monthly",)


def staging_model_name(contract: SourceContract) -> str:
    return f"stg_{contract.source}__{contract.entity}"


def staged_as_table(contract: SourceContract) -> bool:
    return contract.partition_type in TABLE_STAGED_PARTITIONING


def staging_sql(contract: SourceContract) -> str:
    """The staging model: one macro call; a table-staged source's model also configures its materialization."""
    text = "{#- " + HEADER.format(contract=f"contracts/{contract.path.name}") + " -#}\n"
    if not staged_as_table(contract):
        return text + f"{{{{ contract_staging('{contract.source}') }}}}\n"
    return text + (
        "{{ config(materialized='incremental', unique_key='partition_key', incremental_strategy='delete+insert',\n"
        "          on_schema_change='sync_all_columns',\n"
        f"          post_hook=\"{{{{ delete_partitions_gone_from_landing('{contract.source}') }}}}\") }}}}\n"
        f"{{{{ contract_staging_increment('{contract.source}') }}}}\n")


def important_columns(contract: SourceContract) -> list[str]:
    """The columns data-quality completeness counts: required ones and the coded data elements of the standard."""
    return [column.name for column in contract.columns if column.required or column.code_set]


def contract_metadata(contract: SourceContract, seeds_dir: Path) -> dict:
    """What the dbt macros need to know of a contract (macro source_contracts())."""
    coded = {column.column: column for column in coded_columns(contract, seeds_dir)}
    columns = []
    for column in contract.columns:
        entry = {
            "name": column.name,
            "type": column.type,
            "formats": column.format.split(FORMAT_ALTERNATIVE_SEPARATOR) if column.format else [],
            "required": column.required,
            "personal": column.personal,
        }
        if column.name in coded:
            code = coded[column.name]
            entry |= {"code_set": code.code_set, "element": code.element, "code_column": code.code_column,
                      "name_column": code.name_column, "mapping_seed": code.mapping_seed,
                      "mapping_seed_exists": code.mapping_seed_exists}
        columns.append(entry)
    return {
        "entity": contract.entity,
        "department_code": contract.department_code,
        "contract": f"contracts/{contract.path.name}",
        "department_code": contract.department_code,
        "department_name": contract.department_name,
        "partition_type": contract.partition_type,
        "expected_by": contract.freshness.expected_by.strftime("%H:%M"),
        "important_columns": important_columns(contract),
        "grain": contract.grain,
        "record_key": list(contract.record_key),
        "staging_model": staging_model_name(contract),
        "columns": columns,
    }


def jinja_literal(value) -> str:
    """A Python value as a Jinja literal (JSON strings with ASCII escapes are valid Jinja strings)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "none"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{jinja_literal(k)}: {jinja_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(jinja_literal(item) for item in value) + "]"
    if isinstance(value, str):
        return json.dumps(value)
    return str(value)


def source_contracts_macro(contracts: list[SourceContract], seeds_dir: Path) -> str:
    metadata = {contract.source: contract_metadata(contract, seeds_dir) for contract in contracts}
    return (
        "{#- " + HEADER.format(contract="contracts/*.yaml") + "\n"
        "    source_contracts(): every source contract's metadata, by source name. -#}\n"
        "{% macro source_contracts() -%}\n"
        f"{{{{ return({jinja_literal(metadata)}) }}}}\n"
        "{%- endmacro %}\n"
    )


def _personal(column) -> dict:
    return {"config": {"meta": {"personal": True}, "tags": ["personal"]}} if column.personal else {}


def _column_description(column) -> str:
    text = column.description.rstrip(".") + "."
    return text + (" Personal information (个人信息): never leaves staging/intermediate in clear." if column.personal
                    else "")


def sources_yaml(contract: SourceContract) -> dict:
    landing = ("read_parquet('{{ env_var('CITYBRAIN_LANDING', '../warehouse/landing') }}/"
               f"{contract.source}/*/*.parquet', hive_partitioning = true)")  # one schema per source: landed_schema.py
    columns = [{"name": column.name, "data_type": "varchar",
                "description": f"{_column_description(column)} Delivered as `{column.source}`.", **_personal(column)}
               for column in contract.columns]
    columns += [{"name": name, "data_type": data_type, "description": description}
                for name, data_type, description in LINEAGE_COLUMNS]
    return {"version": 2, "sources": [{
        "name": contract.source,
        "description": f"{contract.title}: {contract.description} Department: {contract.department_name}. Landed "
                       f"Parquet written by the landing assets from contracts/{contract.path.name}; every contract "
                       "column is VARCHAR, exactly as delivered.",
        "loader": "pipelines.ingestion (Dagster landing asset)",
        "config": {"meta": {"owner": department_of(contract).owner, "contract": f"contracts/{contract.path.name}",
                            "partitioning": contract.partition_type}},
        "tables": [{
            "name": contract.entity,
            "description": f"{contract.title}, one row per delivered record (all landed versions; record key "
                           f"{', '.join(contract.record_key)}).",
            "config": {"meta": {"external_location": landing,
                                "dagster": {"asset_key": ["landing", contract.source]}}},
            "columns": columns,
        }],
    }]}


def _staging_tests(contract: SourceContract, column) -> dict:
    """No check runs twice: a required value that did not parse is the landing suite's format expectation on the
    column (pipelines/derived/landing_suites.py) when it has one; staging tests it only when it has none. The
    record key is the model's required_and_unique test (staging_yaml)."""
    if column.name in contract.record_key:
        return {}
    if column.required and column.type in PARSED_TYPES and not has_format_expectation(column):
        return {"data_tests": [{"not_null": {"config": {"severity": "warn"}}}]}
    return {}


def _staged_as(contract: SourceContract, column) -> str:
    if column.type == "string" and column.name in contract.record_key:
        return "record key text, full-width folded, spaces removed, empty to NULL"
    return _STAGED_AS[column.type]


def staging_yaml(contract: SourceContract) -> dict:
    formats = {column.name: column.format for column in contract.columns if column.format}
    columns = [{
        "name": column.name,
        "description": f"{_column_description(column)} Staged as {_staged_as(contract, column)}"
                       + (f"; delivered format {formats[column.name]}." if column.name in formats else "."),
        **_personal(column),
        **_staging_tests(contract, column),
    } for column in contract.columns]
    # no test of partition_key: the landing folder's name sets it for every row of a file
    columns += [{"name": name, "description": description} for name, _, description in LINEAGE_COLUMNS]
    personal = [column.name for column in contract.columns if column.personal]
    return {"version": 2, "models": [{
        "name": staging_model_name(contract),
        "description": f"{contract.title} as landed, typed by its contract (contracts/{contract.path.name}): every "
                       "landed version of every record (deduplication is in intermediate)."
                       + (" Kept as a table, cleaned once per landed partition." if staged_as_table(contract)
                          else "")
                       + (f" Holds raw personal columns ({', '.join(personal)}): never expose it." if personal else ""),
        "config": {"meta": {"contract": f"contracts/{contract.path.name}"}},
        # the record key is never NULL after cleaning: one node however many columns it has (staging holds every
        # landed version, so the key is unique only on the fact)
        "data_tests": [{"required_and_unique": {"arguments": {"required": list(contract.record_key)}}}],
        "columns": columns,
    }]}


def mapping_seeds_yaml(contract: SourceContract, seeds_dir: Path) -> dict | None:
    seeds = []
    for coded in coded_columns(contract, seeds_dir):
        if not coded.mapping_seed_exists:
            continue
        source_value, standard_code = MAPPING_COLUMNS
        seeds.append({
            "name": coded.mapping_seed,
            "description": f"{contract.title}: the source's own values of `{coded.column}` mapped to the city "
                           f"standard's {coded.element} codes ({coded.code_set}). Extend it from "
                           "ops.ops_unmapped_codes.",
            "config": {"column_types": {source_value: "varchar", standard_code: "varchar"}},
            # one node per seed, not one per column and check
            "data_tests": [
                {"seed_rows_valid": {"arguments": {
                    "required": [source_value, standard_code], "unique": [source_value],
                    "code_sets": {standard_code: {"to": f"ref('{coded.code_set}')", "field": coded.code_column}}}}},
            ],
            "columns": [
                {"name": source_value, "description": f"The value as {contract.source} delivers it (compared in "
                                                      "match_key form: case, width and spaces do not matter)."},
                {"name": standard_code, "description": f"Standard {coded.element} code ({coded.code_set}."
                                                       f"{coded.code_column})."},
            ],
        })
    return {"version": 2, "seeds": seeds} if seeds else None


def _yaml_text(document: dict, contract: SourceContract) -> str:
    return f"# {HEADER.format(contract=f'contracts/{contract.path.name}')}\n" + yaml.safe_dump(
        document, allow_unicode=True, sort_keys=False, width=120)


def derived_files(contracts: list[SourceContract], seeds_dir: Path) -> dict[str, str]:
    """Relative path (under dbt_project/derived) → text, for every file the contracts determine."""
    files = {"macros/source_contracts.sql": source_contracts_macro(contracts, seeds_dir)}
    for contract in contracts:
        folder = f"models/staging/{contract.source}"
        model = staging_model_name(contract)
        files[f"{folder}/_{contract.source}__sources.yml"] = _yaml_text(sources_yaml(contract), contract)
        files[f"{folder}/{model}.yml"] = _yaml_text(staging_yaml(contract), contract)
        files[f"{folder}/{model}.sql"] = staging_sql(contract)
        mapping_seeds = mapping_seeds_yaml(contract, seeds_dir)
        if mapping_seeds:
            files[f"{folder}/_{contract.source}__mapping_seeds.yml"] = _yaml_text(mapping_seeds, contract)
    return files


def write_derived_files(files: dict[str, str], target: Path) -> list[str]:
    """Write what changed, delete what no contract determines any more; returns the paths changed."""
    changed = []
    for relative, text in files.items():
        path = target / relative
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        changed.append(relative)
    if target.exists():
        for path in sorted(target.rglob("*"), reverse=True):
            relative = path.relative_to(target).as_posix()
            if path.is_file() and relative not in files and not path.name.startswith("."):  # .contracts: make's
                path.unlink()
                changed.append(relative)
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()
    return changed


def stale_files(files: dict[str, str], target: Path) -> list[str]:
    """Paths whose text on disk differs from what the contracts determine (missing, changed or left over)."""
    on_disk = {path.relative_to(target).as_posix() for path in target.rglob("*")
               if path.is_file() and not path.name.startswith(".")} if target.exists() else set()
    differing = [relative for relative, text in files.items()
                 if relative not in on_disk or (target / relative).read_text(encoding="utf-8") != text]
    return sorted(differing + [relative for relative in on_disk if relative not in files])
