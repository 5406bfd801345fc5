"""The sharing catalog is checked at load against the dbt manifest, the contracts and the seeds: every mistake
is an error naming the file and the entry. Each case edits a copy of the shipped config."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import pytest
import yaml

from pipelines import settings
from pipelines.sharing.catalog import load_sharing_config, mart_columns
from pipelines.sharing.config import CONDITIONAL, NOT_SHARED, CatalogError

MANIFEST = settings.DBT_PROJECT_DIR / "target" / "manifest.json"


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "sharing"
    shutil.copytree(settings.SHARING_CONFIG_DIR, folder)
    return folder


def edit(folder: Path, name: str, change) -> None:
    path = folder / name
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")


def first(items: list[dict], **match) -> dict:
    return next(item for item in items if all(item.get(key) == value for key, value in match.items()))


def a_grant(document: dict) -> dict:
    return next(g for g in document["grants"] if g.get("row_filter"))


def test_the_shipped_config_loads_and_its_row_filters_are_seed_codes():
    config = load_sharing_config()
    marts = mart_columns(MANIFEST)
    filters = [(g, column, value) for g in config.catalog.grants for column, value in (g.row_filter or {}).items()]
    assert filters
    for grant, column, value in filters:
        codes = marts[config.catalog.dataset(grant.dataset).table][column].code_values
        assert codes and value in codes


CASES = {
    "unknown mart": ("catalog.yaml", lambda d: d["datasets"][0].update(mart="no_such_mart"),
                     ["datasets[0]", "no_such_mart", "not a mart"]),
    "unknown column": ("catalog.yaml", lambda d: d["datasets"][0]["columns"].append({"name": "no_such_column",
                                                                                      "masking": "none"}),
                       ["datasets[0]", "no_such_column", "not a column"]),
    "unknown class": ("catalog.yaml", lambda d: d["datasets"][1].update({"class": "随便共享"}),
                      ["datasets[1]", "class"]),
    "unknown masking": ("catalog.yaml", lambda d: d["datasets"][0]["columns"][0].update(masking="blur"),
                        ["datasets[0]", "masking"]),
    "unknown key": ("catalog.yaml", lambda d: d["datasets"][0].update(colour="red"),
                    ["datasets[0]", "colour", "Extra inputs are not permitted"]),
    "unknown owner": ("catalog.yaml", lambda d: d["datasets"][0].update(owner="no_such_department"),
                      ["datasets[0]", "no_such_department"]),
    "unknown grant department": ("catalog.yaml", lambda d: a_grant(d).update(department="no_such_department"),
                                 ["grants[", "no_such_department", "not in departments.yaml"]),
    "unknown grant dataset": ("catalog.yaml", lambda d: a_grant(d).update(dataset="no_such_dataset"),
                              ["grants[", "no_such_dataset"]),
    "ungranted column": ("catalog.yaml", lambda d: a_grant(d)["columns"].append("source_file"),
                         ["grants[", "source_file", "not a shared column"]),
    "row filter code not in the seed": ("catalog.yaml",
                                        lambda d: a_grant(d)["row_filter"].update(
                                            {next(iter(a_grant(d)["row_filter"])): "000000"}),
                                        ["grants[", "000000", "not a code"]),
    "conditional grant without expiry": ("catalog.yaml", lambda d: a_grant(d).pop("expires"),
                                         ["grants[", "expires"]),
    "grant of a dataset not shared": ("catalog.yaml",
                                      lambda d: a_grant(d).update(
                                          dataset=first(d["datasets"], **{"class": NOT_SHARED})["name"],
                                          columns=[first(d["datasets"], **{"class": NOT_SHARED})["columns"][0]["name"]]),
                                      ["grants[", NOT_SHARED, "cannot be granted"]),
    "pseudonym on a plain column": ("catalog.yaml",
                                    lambda d: first(d["datasets"], **{"class": CONDITIONAL})["columns"][0].update(
                                        masking="pseudonym"),
                                    ["datasets[", "pseudonym"]),
    "unknown department key": ("departments.yaml", lambda d: d["departments"][0].update(password="x"),
                               ["departments.yaml", "departments[0]", "password"]),
    "token that is not a sha256": ("departments.yaml", lambda d: d["departments"][0].update(token_sha256="secret"),
                                   ["departments.yaml", "departments[0]", "token_sha256"]),
}


@pytest.mark.parametrize("case", CASES)
def test_a_mistake_is_an_error_naming_the_file_and_the_entry(case, config_dir):
    file_name, change, expected = CASES[case]
    edit(config_dir, file_name, change)
    with pytest.raises(CatalogError) as error:
        load_sharing_config(config_dir)
    message = str(error.value)
    assert str(config_dir / file_name) in message
    for part in expected:
        assert part in message, message


def test_a_personal_column_cannot_leave_unmasked(config_dir, tmp_path):
    """A column the dbt YAML tags `meta: {personal: true}` may only be dropped, masked or generalized."""
    config = load_sharing_config()
    dataset = next(d for d in config.catalog.datasets if any(c.masking == "mask_phone" for c in d.columns))
    column = next(c.name for c in dataset.columns if c.masking == "mask_phone")
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    node = next(n for n in manifest["nodes"].values() if n["resource_type"] == "model" and n["name"] == dataset.table)
    node["columns"][column]["meta"] = {"personal": True}
    tagged = tmp_path / "target" / "manifest.json"
    tagged.parent.mkdir()
    tagged.write_text(json.dumps(manifest), encoding="utf-8")
    shutil.copytree(settings.DBT_PROJECT_DIR / "seeds", tmp_path / "seeds")
    load_sharing_config(config_dir, tagged)  # masked: allowed
    edit(config_dir, "catalog.yaml", lambda d: first(first(d["datasets"], name=dataset.name)["columns"],
                                                     name=column).update(masking="none"))
    with pytest.raises(CatalogError, match=f"column '{column}'.*personal"):
        load_sharing_config(config_dir, tagged)
