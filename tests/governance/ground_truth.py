"""Comparing the governance marts with the demo scenario's ground truth (demo/scenarios.py)."""

from __future__ import annotations

from collections import defaultdict
from itertools import combinations

Record = tuple[str, str]  # (source, record id)


def _pairs(groups: dict[str, set[Record]]) -> set[frozenset[Record]]:
    return {frozenset(pair) for members in groups.values() for pair in combinations(sorted(members), 2)}


def scenario_matters(truth: dict) -> dict[str, set[Record]]:
    """The records of every scenario matter, as the generators wrote them."""
    matters: dict[str, set[Record]] = defaultdict(set)
    for source, part in truth["sources"].items():
        for matter, record_ids in part.get("scenario_records", {}).items():
            matters[matter] |= {(source, record_id) for record_id in record_ids}
    return matters


def pairwise_precision_recall(truth: dict, bridge: list[tuple[str, str, str]],
                              involving: str | None = None) -> tuple[float, float, int, int]:
    """Pairwise precision and recall of the cases (bridge rows: source, record id, case id) on the scenario.

    Judged pairs: those with at least one scenario record (the rest of the demo has no ground truth about which
    records are one matter), and with `involving`, only those with a record of that source. True pairs: two
    records of one scenario matter; predicted: two records of one case.
    Returns precision, recall, predicted pairs, true pairs.
    """
    cases: dict[str, set[Record]] = defaultdict(set)
    for source, record_id, case_id in bridge:
        cases[case_id].add((source, record_id))
    in_bridge = {record for members in cases.values() for record in members}
    matters = {matter: records & in_bridge for matter, records in scenario_matters(truth).items()}
    scenario_records = {record for records in matters.values() for record in records}
    true_pairs = _pairs(matters)
    predicted = {pair for pair in _pairs(cases) if pair & scenario_records}
    if involving is not None:
        true_pairs, predicted = ({pair for pair in pairs if any(source == involving for source, _ in pair)}
                                 for pairs in (true_pairs, predicted))
    hits = len(predicted & true_pairs)
    precision = hits / len(predicted) if predicted else 1.0
    recall = hits / len(true_pairs) if true_pairs else 1.0
    return precision, recall, len(predicted), len(true_pairs)
