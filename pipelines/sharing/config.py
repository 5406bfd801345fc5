"""The sharing configuration files, read into typed models. Unknown keys, classes and masking rules are errors.

`sharing/catalog.yaml`: datasets (a mart or a named view of one) and grants; `sharing/departments.yaml`: the
departments and the sha256 of each one's token. Checks against the warehouse's reality are in `catalog.py`.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

# Names become SQL identifiers and file names: lower-case ASCII only, so they can be quoted without escaping.
Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
SharingClass = Literal["无条件共享", "有条件共享", "不予共享"]
UNCONDITIONAL, CONDITIONAL, NOT_SHARED = "无条件共享", "有条件共享", "不予共享"
Masking = Literal["none", "pseudonym", "mask_phone", "generalize_date_to_month", "drop"]


class CatalogError(ValueError):
    """The sharing configuration is invalid; the message names the file and the entry."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class DatasetColumn(_Strict):
    name: Identifier
    masking: Masking


class Dataset(_Strict):
    name: Identifier
    mart: Identifier | None = None
    title: str
    owner: Identifier
    sharing_class: SharingClass = Field(alias="class")
    legal_basis: str | None = None
    columns: list[DatasetColumn] = Field(min_length=1)

    @property
    def table(self) -> str:
        return self.mart or self.name

    def column(self, name: str) -> DatasetColumn | None:
        return next((column for column in self.columns if column.name == name), None)

    @property
    def shared_columns(self) -> list[DatasetColumn]:
        return [column for column in self.columns if column.masking != "drop"]


class Grant(_Strict):
    department: Identifier
    dataset: Identifier
    columns: list[Identifier] = Field(min_length=1)
    row_filter: dict[Identifier, str] | None = None
    purpose: str | None = None
    expires: date | None = None


class Catalog(_Strict):
    datasets: list[Dataset]
    grants: list[Grant] = []

    def dataset(self, name: str) -> Dataset | None:
        return next((dataset for dataset in self.datasets if dataset.name == name), None)


class Department(_Strict):
    code: Identifier
    name: str
    token_sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


class Departments(_Strict):
    departments: list[Department] = Field(min_length=1)


def read_model(path: Path, model: type[_Strict]):
    """Parse one YAML file into `model`; every problem becomes a CatalogError naming the file and the entry."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CatalogError(f"{path}: file not found") from None
    except yaml.YAMLError as error:
        raise CatalogError(f"{path}: not valid YAML: {error}") from None
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        problems = "; ".join(f"{_entry(raw, problem['loc'])}: {problem['msg']}" for problem in error.errors())
        raise CatalogError(f"{path}: {problems}") from None


def _entry(raw, location: tuple) -> str:
    """`('datasets', 2, 'class')` → `datasets[2] (name 'x') .class`: the position and the entry's own name."""
    text, node = "", raw
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
        node = node[part] if isinstance(node, (list, dict)) and _has(node, part) else None
        if isinstance(part, int) and isinstance(node, dict):
            label = next((f"{key} '{node[key]}'" for key in ("name", "code", "department") if key in node), None)
            if label:
                text += f" ({label}{', dataset ' + repr(node['dataset']) if 'dataset' in node else ''})"
    return text.lstrip(".")


def _has(node, part) -> bool:
    return part in node if isinstance(node, dict) else isinstance(part, int) and part < len(node)
