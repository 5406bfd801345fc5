"""No check runs twice: a GX suite on a model never repeats a data test dbt already runs on the same column (a
not-null, a uniqueness, a code set that a codes_in_code_sets test checks against the same seed column), no dbt test
repeats an enforced constraint, and a relation's checks of one kind are one test node, not one per column."""

from __future__ import annotations

import json
from collections import Counter

from pipelines import settings
from pipelines.quality.suites import load_suites, seed_references

GX_AS_DBT = {"expect_column_values_to_not_be_null": "not_null", "expect_column_values_to_be_unique": "unique",
             "expect_compound_columns_to_be_unique": "unique",
             # a pattern on a model column is one check: the GX suite's regex or a dbt matches_pattern test
             "expect_column_values_to_match_regex": "matches_pattern"}
# plain checks of a relation's keys and required columns: one required_and_unique test per relation
KEY_TESTS = ("not_null", "unique", "unique_combination_of_columns", "required_and_unique")


def manifest_tests() -> list[dict]:
    manifest = json.loads((settings.DBT_PROJECT_DIR / "target" / "manifest.json").read_text(encoding="utf-8"))
    return [node for node in manifest["nodes"].values()
            if node["resource_type"] == "test" and node.get("test_metadata") and node.get("attached_node")]


def dbt_column_tests() -> set[tuple]:
    """(model, column, test, seed column or None) of every column check of the generic data tests in the manifest,
    a folded test's columns each on their own: required_and_unique as not_null and unique, codes_in_code_sets as
    relationships, seed_rows_valid as all three."""
    found = set()
    for node in manifest_tests():
        metadata, model = node["test_metadata"], node["attached_node"].split(".")[-1]
        kwargs = metadata["kwargs"]
        if metadata["name"] == "relationships":
            seed = kwargs["to"].split("'")[1]
            found.add((model, node.get("column_name"), "relationships", (seed, kwargs["field"])))
        elif metadata["name"] == "codes_in_code_sets":
            found |= {(model, column, "relationships", (code_set["to"].split("'")[1], code_set["field"]))
                      for column, code_set in kwargs["code_sets"].items()}
        elif metadata["name"] in ("required_and_unique", "seed_rows_valid"):
            found |= {(model, column, "relationships", (code_set["to"].split("'")[1], code_set["field"]))
                      for column, code_set in kwargs.get("code_sets", {}).items()}
            found |= {(model, column, "not_null", None) for column in kwargs.get("required", [])}
            found |= {(model, column if isinstance(column, str) else tuple(column), "unique", None)
                      for column in kwargs.get("unique", [])}
        elif metadata["name"] == "unique_combination_of_columns":
            found.add((model, tuple(kwargs["combination_of_columns"]), "unique", None))
        else:
            found.add((model, node.get("column_name"), metadata["name"], None))
    return found


def test_no_gx_expectation_on_a_model_repeats_a_dbt_test():
    dbt_tests = dbt_column_tests()
    repeated = []
    for suite in load_suites().values():
        if suite.target_kind != "relation":
            continue
        model = suite.target.split(".")[1]
        for expectation in suite.expectations:
            column = expectation["kwargs"].get("column") or tuple(expectation["kwargs"].get("column_list", ()))
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


def test_a_relations_codes_are_one_test_and_no_relationships_test_points_to_a_seed():
    """Every coded column of a model or seed is checked against its code set by the relation's one
    codes_in_code_sets test (the sharing catalog reads the code sets there), never by a relationships test."""
    tests = manifest_tests()
    to_seeds = [node["name"] for node in tests if node["test_metadata"]["name"] == "relationships"
                and any(parent.startswith("seed.") for parent in node["depends_on"]["nodes"])]
    per_relation = Counter(node["attached_node"] for node in tests
                           if node["test_metadata"]["name"] == "codes_in_code_sets")
    assert to_seeds == []
    assert [relation for relation, count in per_relation.items() if count > 1] == []
    assert len(per_relation) >= 20


def test_a_relations_required_and_unique_columns_are_one_test():
    """A relation's plain (error, unfiltered) not-NULL and uniqueness checks, of columns or combinations, are one
    node: required_and_unique takes them all, unless one such check is all the relation has."""
    plain = Counter(node["attached_node"] for node in manifest_tests()
                    if node["test_metadata"]["name"] in KEY_TESTS and node["config"]["severity"].lower() == "error"
                    and not node["config"].get("where"))
    assert [relation for relation, count in plain.items() if count > 1] == []


def test_a_relations_warn_not_null_checks_are_one_test():
    """The columns standardization fills (NULL where a delivered value did not conform) are one WARN test per
    relation, `<model>_conformed`, not one per column."""
    warn = [node for node in manifest_tests() if node["test_metadata"]["name"] in ("not_null", "required_and_unique")
            and node["config"]["severity"].lower() == "warn" and not node["config"].get("where")]
    per_relation = Counter(node["attached_node"] for node in warn)
    assert [relation for relation, count in per_relation.items() if count > 1] == []
    assert all(node["name"] == node["attached_node"].split(".")[-1] + "_conformed" for node in warn)


def test_a_seed_is_one_test():
    """Every check of a standard or mapping seed's rows (required, unique, code sets, accepted values, not negative)
    is its one seed_rows_valid test; seed_rows_valid tests seeds only."""
    tests = manifest_tests()
    per_seed = Counter(node["attached_node"] for node in tests if node["attached_node"].startswith("seed."))
    kinds = {node["test_metadata"]["name"] for node in tests if node["attached_node"].startswith("seed.")}
    assert kinds == {"seed_rows_valid"}
    assert [seed for seed, count in per_seed.items() if count > 1] == []
    assert len(per_seed) >= 40
    assert all(node["attached_node"].startswith("seed.") for node in tests
               if node["test_metadata"]["name"] == "seed_rows_valid")
