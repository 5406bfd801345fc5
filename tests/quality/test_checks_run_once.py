"""No check runs twice: a GX suite on a model never repeats a data test dbt already runs on the same column (a
not-null, a uniqueness, a code set that a relationships test checks against the same seed column)."""

from __future__ import annotations

import json

from pipelines import settings
from pipelines.quality.gx_runner import load_suites, seed_references

GX_AS_DBT = {"expect_column_values_to_not_be_null": "not_null", "expect_column_values_to_be_unique": "unique"}


def dbt_column_tests() -> set[tuple]:
    """(model, column, test, seed column or None) of every generic data test in the manifest."""
    manifest = json.loads((settings.DBT_PROJECT_DIR / "target" / "manifest.json").read_text(encoding="utf-8"))
    found = set()
    for node in manifest["nodes"].values():
        metadata = node.get("test_metadata")
        if node["resource_type"] != "test" or not metadata or not node.get("attached_node"):
            continue
        model, column = node["attached_node"].split(".")[-1], node.get("column_name")
        if metadata["name"] == "relationships":
            seed = metadata["kwargs"]["to"].split("'")[1]
            found.add((model, column, "relationships", (seed, metadata["kwargs"]["field"])))
        else:
            found.add((model, column, metadata["name"], None))
    return found


def test_no_gx_expectation_on_a_model_repeats_a_dbt_test():
    dbt_tests = dbt_column_tests()
    repeated = []
    for suite in load_suites().values():
        if suite.target_kind != "relation":
            continue
        model = suite.target.split(".")[1]
        for expectation in suite.expectations:
            column = expectation["kwargs"].get("column")
            kind = GX_AS_DBT.get(expectation["type"])
            references = seed_references(expectation)
            if kind and (model, column, kind, None) in dbt_tests:
                repeated.append((suite.name, expectation["type"], column))
            elif references and all((model, column, "relationships", tuple(r.split(".")[1:])) in dbt_tests
                                    for r in references):
                repeated.append((suite.name, expectation["type"], column))
    assert repeated == []


def test_no_dbt_test_repeats_an_enforced_constraint():
    """A mart column with an enforced not_null constraint (or a check constraint) is checked while the mart is
    built: no not_null, rate_between_0_and_1 or not_negative test repeats it on every run."""
    manifest = json.loads((settings.DBT_PROJECT_DIR / "target" / "manifest.json").read_text(encoding="utf-8"))
    constrained = set()
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model" or not node["config"].get("contract", {}).get("enforced"):
            continue
        for column in node["columns"].values():
            for constraint in column.get("constraints") or []:
                kinds = ["not_null"] if constraint["type"] == "not_null" else \
                    ["rate_between_0_and_1", "not_negative"] if constraint["type"] == "check" else []
                constrained |= {(node["name"], column["name"], kind) for kind in kinds}
    repeated = sorted(test for test in dbt_column_tests() if test[:3] in constrained)
    assert repeated == []
