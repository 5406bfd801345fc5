"""The sharing catalog checked against reality, and who may read what.

Every dataset must be a mart of the dbt project (manifest) with the columns of its dbt YAML; owners are the
departments of the source contracts or of departments.yaml; grants name known departments, datasets and columns,
and a row filter's value must be a code of the seed its column refers to (the code set its model's dbt
`codes_in_code_sets` test names for it).
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from pipelines import settings
from pipelines.ingestion.contracts import load_contracts
from pipelines.sharing.config import (
    CONDITIONAL, NOT_SHARED, UNCONDITIONAL, Catalog, CatalogError, Dataset, DatasetColumn, Department, Departments,
    Grant, read_model,
)

DATE_TYPES = ("date", "timestamp", "timestamp with time zone", "timestamptz")
TEXT_TYPES = ("varchar", "text", "string")
# A raw personal column may leave only transformed; `none` and the `pseudonym` passthrough are refused for it.
PERSONAL_SAFE_MASKING = ("drop", "mask_phone", "generalize_date_to_month")
PSEUDONYM_SUFFIX = "_pseudonym"
# a code set's seed as codes_in_code_sets names it: ref('<seed>')
SEED_REF = re.compile(r"""\s*ref\(\s*['"](\w+)['"]\s*\)\s*""")


@dataclass(frozen=True)
class MartColumn:
    data_type: str
    personal: bool
    code_values: frozenset[str] | None  # the codes of the seed the column refers to, when it has one


class Refusal(Exception):
    """A request the catalog does not allow: HTTP status and the reason told to the department."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status, self.reason = status, reason


@dataclass(frozen=True)
class Access:
    """What one department may read of one dataset: the columns (with their masking) and the row filter."""

    department: str
    dataset: Dataset
    columns: tuple[DatasetColumn, ...]
    row_filter: tuple[tuple[str, str], ...]
    grant: Grant | None


@dataclass(frozen=True)
class SharingConfig:
    catalog: Catalog
    departments: dict[str, Department]

    def department_by_token_hash(self, token_sha256: str) -> Department | None:
        return next((d for d in self.departments.values() if d.token_sha256 == token_sha256), None)

    def access(self, department: str, dataset_name: str, today: date | None = None) -> Access:
        """The department's access to the dataset, or a Refusal saying why not."""
        dataset = self.catalog.dataset(dataset_name)
        if dataset is None:
            raise Refusal(404, f"no dataset '{dataset_name}' in the sharing catalog")
        if dataset.sharing_class == NOT_SHARED:
            raise Refusal(403, f"dataset '{dataset_name}' is {NOT_SHARED} (not shared): {dataset.legal_basis}")
        if dataset.sharing_class == UNCONDITIONAL:
            return Access(department, dataset, tuple(dataset.shared_columns), (), None)
        grant = next((g for g in self.catalog.grants if g.department == department and g.dataset == dataset_name),
                     None)
        if grant is None:
            raise Refusal(403, f"dataset '{dataset_name}' is {CONDITIONAL}: department '{department}' has no grant")
        today = today or city_today()
        if grant.expires < today:
            raise Refusal(403, f"the grant of dataset '{dataset_name}' to department '{department}' "
                               f"expired on {grant.expires.isoformat()}")
        columns = tuple(column for column in dataset.shared_columns if column.name in grant.columns)
        return Access(department, dataset, columns, tuple((grant.row_filter or {}).items()), grant)

    def readable(self, department: str, today: date | None = None) -> list[Access]:
        """Every dataset the department may read today."""
        accesses = []
        for dataset in self.catalog.datasets:
            try:
                accesses.append(self.access(department, dataset.name, today))
            except Refusal:
                continue
        return accesses


def city_today() -> date:
    return datetime.now(ZoneInfo(settings.TIMEZONE)).date()


def load_sharing_config(config_dir: Path | None = None, manifest_path: Path | None = None) -> SharingConfig:
    """Read and check `catalog.yaml` and `departments.yaml`; raises CatalogError naming the file and the entry."""
    config_dir = config_dir or settings.sharing_config_dir()
    catalog_path, departments_path = config_dir / "catalog.yaml", config_dir / "departments.yaml"
    catalog: Catalog = read_model(catalog_path, Catalog)
    departments: Departments = read_model(departments_path, Departments)
    known = _check_departments(departments, departments_path)
    marts = mart_columns(manifest_path or settings.DBT_PROJECT_DIR / "target" / "manifest.json")
    owners = known | {contract.department_code for contract in load_contracts().values()}
    for position, dataset in enumerate(catalog.datasets):
        _check_dataset(dataset, marts, owners, f"{catalog_path}: datasets[{position}] (name '{dataset.name}')")
    if len({d.name for d in catalog.datasets}) != len(catalog.datasets):
        raise CatalogError(f"{catalog_path}: two datasets have the same name")
    granted = set()
    for position, grant in enumerate(catalog.grants):
        where = f"{catalog_path}: grants[{position}] (department '{grant.department}', dataset '{grant.dataset}')"
        _check_grant(grant, catalog, known, marts, where)
        if (grant.department, grant.dataset) in granted:
            raise CatalogError(f"{where}: a second grant of the same dataset to the same department")
        granted.add((grant.department, grant.dataset))
    return SharingConfig(catalog, {d.code: d for d in departments.departments})


def _check_departments(departments: Departments, path: Path) -> set[str]:
    codes = [d.code for d in departments.departments]
    for code in {c for c in codes if codes.count(c) > 1}:
        raise CatalogError(f"{path}: department '{code}' is listed twice")
    hashes = [d.token_sha256 for d in departments.departments]
    for department in departments.departments:
        if hashes.count(department.token_sha256) > 1:
            raise CatalogError(f"{path}: department '{department.code}' shares its token hash with another one")
    return set(codes)


def _check_dataset(dataset: Dataset, marts: dict[str, dict[str, MartColumn]], owners: set[str], where: str) -> None:
    if dataset.table not in marts:
        raise CatalogError(f"{where}: '{dataset.table}' is not a mart of the dbt project "
                           f"(marts: {', '.join(sorted(marts))})")
    if dataset.owner not in owners:
        raise CatalogError(f"{where}: owner '{dataset.owner}' is not a department of the source contracts or of "
                           f"departments.yaml")
    if dataset.sharing_class == NOT_SHARED and not dataset.legal_basis:
        raise CatalogError(f"{where}: a {NOT_SHARED} dataset needs its legal_basis")
    columns = marts[dataset.table]
    names = [column.name for column in dataset.columns]
    for column in dataset.columns:
        at = f"{where} column '{column.name}'"
        if names.count(column.name) > 1:
            raise CatalogError(f"{at}: listed twice")
        if column.name not in columns:
            raise CatalogError(f"{at}: not a column of mart '{dataset.table}' in its dbt YAML")
        _check_masking(column, columns[column.name], at)


def _check_masking(column: DatasetColumn, mart_column: MartColumn, where: str) -> None:
    if mart_column.personal and column.masking not in PERSONAL_SAFE_MASKING:
        raise CatalogError(f"{where}: a personal column (meta.personal in dbt) cannot be shared with masking "
                           f"'{column.masking}'; use one of {', '.join(PERSONAL_SAFE_MASKING)}")
    if column.masking == "pseudonym" and not column.name.endswith(PSEUDONYM_SUFFIX):
        raise CatalogError(f"{where}: masking 'pseudonym' passes a pseudonym through; the column must be a "
                           f"'*{PSEUDONYM_SUFFIX}' column of the mart")
    if column.masking == "generalize_date_to_month" and mart_column.data_type not in DATE_TYPES:
        raise CatalogError(f"{where}: generalize_date_to_month needs a date or timestamp, not "
                           f"'{mart_column.data_type}'")
    if column.masking == "mask_phone" and mart_column.data_type not in TEXT_TYPES:
        raise CatalogError(f"{where}: mask_phone needs a text column, not '{mart_column.data_type}'")


def _check_grant(grant: Grant, catalog: Catalog, departments: set[str],
                 marts: dict[str, dict[str, MartColumn]], where: str) -> None:
    if grant.department not in departments:
        raise CatalogError(f"{where}: department '{grant.department}' is not in departments.yaml")
    dataset = catalog.dataset(grant.dataset)
    if dataset is None:
        raise CatalogError(f"{where}: dataset '{grant.dataset}' is not in the catalog")
    if dataset.sharing_class == NOT_SHARED:
        raise CatalogError(f"{where}: dataset '{grant.dataset}' is {NOT_SHARED} and cannot be granted")
    if dataset.sharing_class == UNCONDITIONAL:
        raise CatalogError(f"{where}: dataset '{grant.dataset}' is {UNCONDITIONAL}; it needs no grant")
    if not grant.purpose or grant.expires is None:
        raise CatalogError(f"{where}: a grant of a {CONDITIONAL} dataset needs a purpose and an expires date")
    shared = {column.name for column in dataset.shared_columns}
    for name in grant.columns:
        if name not in shared:
            raise CatalogError(f"{where}: column '{name}' is not a shared column of dataset '{grant.dataset}'")
    for name, value in (grant.row_filter or {}).items():
        mart_column = marts[dataset.table].get(name)
        if mart_column is None:
            raise CatalogError(f"{where}: row_filter column '{name}' is not a column of mart '{dataset.table}'")
        if mart_column.code_values is not None and value not in mart_column.code_values:
            raise CatalogError(f"{where}: row_filter {name} = '{value}' is not a code of the seed that "
                               f"'{name}' refers to")


@cache
def mart_columns(manifest_path: Path) -> dict[str, dict[str, MartColumn]]:
    """Each mart's columns from the dbt manifest: data type, personal flag, and the seed codes it refers to."""
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CatalogError(f"{manifest_path}: no dbt manifest; run `make setup` (dbt parse) first") from None
    nodes = manifest["nodes"]
    codes = _code_set_codes(nodes, manifest_path.parents[1])
    marts = {}
    for unique_id, node in nodes.items():
        if node["resource_type"] == "model" and node["schema"] == "marts":
            marts[node["name"]] = {
                name: MartColumn((column.get("data_type") or "").lower(), bool(column.get("meta", {}).get("personal")),
                                 codes.get((unique_id, name)))
                for name, column in node["columns"].items()
            }
    return marts


def _code_set_codes(nodes: dict, project_dir: Path) -> dict[tuple[str, str], frozenset[str]]:
    """(model id, column) → the values of the seed column its model's `codes_in_code_sets` test names for it."""
    seeds = {node["name"]: node for node in nodes.values() if node["resource_type"] == "seed"}
    codes = {}
    for node in nodes.values():
        test = node.get("test_metadata") or {}
        if test.get("name") != "codes_in_code_sets" or not node.get("attached_node"):
            continue
        for column, code_set in test["kwargs"]["code_sets"].items():
            reference = SEED_REF.fullmatch(code_set["to"])
            seed = seeds.get(reference.group(1)) if reference else None
            if seed is None:
                continue
            with open(project_dir / seed["original_file_path"], encoding="utf-8", newline="") as seed_file:
                values = frozenset(row[code_set["field"]] for row in csv.DictReader(seed_file))
            codes[(node["attached_node"], column)] = values
    return codes
