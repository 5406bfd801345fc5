"""The dbt files derived from the contracts: in step with the contracts, rewritten only on change, and a code set
that the standard does not define is an error naming the contract."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipelines import settings
from pipelines.derived.__main__ import generate
from pipelines.derived.dbt_files import DERIVED_FOLDER, derived_files, stale_files
from pipelines.ingestion.contracts import ContractError, load_contracts

SEEDS = settings.DBT_PROJECT_DIR / "seeds"


def test_derived_files_in_the_dbt_project_are_what_the_contracts_determine():
    files = derived_files(list(load_contracts(settings.CONTRACTS_DIR).values()), SEEDS)
    assert stale_files(files, settings.DBT_PROJECT_DIR / DERIVED_FOLDER) == [], "run make (or python -m pipelines.derived)"


def test_every_contract_gets_a_source_and_a_staging_model_with_its_columns():
    contracts = load_contracts(settings.CONTRACTS_DIR)
    files = derived_files(list(contracts.values()), SEEDS)
    for contract in contracts.values():
        folder = f"models/staging/{contract.source}"
        sources = files[f"{folder}/_{contract.source}__sources.yml"]
        staging = files[f"{folder}/stg_{contract.source}__{contract.entity}.yml"]
        for column in contract.columns:
            assert f"- name: {column.name}\n" in sources and f"- name: {column.name}\n" in staging
        # a monthly source (a whole register a month, read whole by its models) is staged as a table
        macro = "contract_staging_increment" if contract.partition_type == "monthly" else "contract_staging"
        assert files[f"{folder}/stg_{contract.source}__{contract.entity}.sql"].rstrip().endswith(
            f"{{{{ {macro}('{contract.source}') }}}}")


def _project_copy(tmp_path: Path) -> tuple[Path, Path]:
    contracts = tmp_path / "contracts"
    shutil.copytree(settings.CONTRACTS_DIR, contracts)
    project = tmp_path / "dbt_project"
    shutil.copytree(SEEDS, project / "seeds")
    return contracts, project


def test_only_changed_files_are_written_and_a_removed_contract_leaves_nothing(tmp_path):
    contracts, project = _project_copy(tmp_path)
    first = generate(contracts, project)
    assert "macros/source_contracts.sql" in first
    assert generate(contracts, project) == []
    removed = sorted(contracts.glob("*.yaml"))[0]
    source = load_contracts(contracts)[next(iter(load_contracts(contracts)))].source  # the first file's source
    removed.unlink()
    changed = generate(contracts, project)
    assert "macros/source_contracts.sql" in changed
    assert not (project / DERIVED_FOLDER / "models" / "staging" / source).exists()


def test_a_code_set_the_standard_does_not_define_names_the_contract_and_column(tmp_path):
    contracts, project = _project_copy(tmp_path)
    path = contracts / "hotline_12345.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("code_set: std_channel", "code_set: std_chanel"),
                    encoding="utf-8")
    with pytest.raises(ContractError, match="hotline_12345.yaml: column channel_name: code_set 'std_chanel'"):
        generate(contracts, project)


def test_a_mapping_seed_must_have_the_mapping_header(tmp_path):
    contracts, project = _project_copy(tmp_path)
    (project / "seeds" / "mappings" / "map_channel__hotline_12345.csv").write_text("value,code\n热线,01\n")
    with pytest.raises(ContractError, match="source_value,standard_code"):
        generate(contracts, project)
