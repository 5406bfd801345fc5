"""One name per department: the `department.code` of its source contract.

Everything a department's data flows through carries it in the same three places: the Dagster group (the
landing asset and the department's staging and intermediate models form one group), the owner (`team:<code>`)
and the tag `department`. On a mart, the columns that come from a department's models carry the same tags and a
column-level lineage to them. Shared models (marts, the city standard) belong to the platform team.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.ingestion.contracts import SourceContract, load_contracts

PLATFORM_OWNER = "team:city-data-platform"


@dataclass(frozen=True)
class Department:
    code: str
    name: str

    @property
    def group_name(self) -> str:
        return self.code

    @property
    def owner(self) -> str:
        return f"team:{self.code}"

    def tags(self, layer: str) -> dict[str, str]:
        return {"department": self.code, "layer": layer}

    def column_tags(self) -> dict[str, str]:
        """Tags of a shared model's column that comes from this department."""
        return {"department": self.code, "owner": self.owner}


def department_of(contract: SourceContract) -> Department:
    return Department(contract.department_code, contract.department_name)


def department_of_source(source: str) -> Department | None:
    """The department delivering `source` (a contract's `source`), None for a name no contract declares."""
    contract = load_contracts().get(source)
    return department_of(contract) if contract else None
