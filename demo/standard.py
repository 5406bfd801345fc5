"""The city standard (dbt seeds) and the source contracts, as the generator needs them.

Everything city-specific comes from here: the generator itself names no city, district or code.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import yaml

from demo.values import id_address_codes
from pipelines.settings import CONTRACTS_DIR, DBT_PROJECT_DIR

SEEDS_DIR = DBT_PROJECT_DIR / "seeds"

# Status codes of the standard code sets whose meaning drives the lifecycle (names come from the seeds).
REQUEST_ACCEPTED, REQUEST_DISPATCHED, REQUEST_IN_PROGRESS, REQUEST_CLOSED, REQUEST_VISITED = 10, 20, 30, 40, 50
OUTCOME_SUCCESS, OUTCOME_FAILURE = 1, 2


def read_seed(relative: str) -> list[dict[str, str]]:
    with (SEEDS_DIR / relative).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@dataclass(frozen=True)
class Contract:
    """The parts of contracts/<source>.yaml that decide how a delivery looks."""

    source: str
    columns: dict[str, str]  # contract column name -> header / JSON path, in delivery order
    required: frozenset[str]
    file_pattern: str
    encoding: str | None
    sheet: str | None

    @classmethod
    def load(cls, source: str, contracts_dir: Path = CONTRACTS_DIR) -> Contract:
        raw = yaml.safe_load((contracts_dir / f"{source}.yaml").read_text(encoding="utf-8"))
        columns = {column["name"]: column["source"] for column in raw["columns"]}
        required = frozenset(column["name"] for column in raw["columns"] if column.get("required"))
        delivery = raw["delivery"]
        return cls(raw["source"], columns, required, delivery["file_pattern"], delivery.get("encoding"),
                   delivery.get("sheet"))

    def file_name(self, partition: date, suffix: str = "") -> str:
        """The delivered file name: the pattern's partition filled in, its glob `*` replaced by `suffix`."""
        name = re.sub(r"\{partition:([^}]*)\}", lambda match: partition.strftime(match.group(1)), self.file_pattern)
        return name.replace("*", suffix)

    def headers(self) -> list[str]:
        return list(self.columns.values())


def _column(rows: list[dict[str, str]], key: str) -> list[str]:
    return [row[key] for row in rows]


@dataclass(frozen=True)
class CityStandard:
    """Code sets of the city standard; index arrays in the generator point into these lists."""

    city_name: str
    district_codes: list[str]
    district_names: list[str]
    id_address_codes: tuple[np.ndarray, np.ndarray]  # usable citizen-ID address codes, first valid birth year
    street_names: list[str]
    street_district: np.ndarray  # district index of every street
    grid_codes: list[str]
    grid_names: list[str]
    grid_district: np.ndarray  # district index of every grid
    channel_names: list[str]
    request_type_names: list[str]
    time_limit_hours: np.ndarray  # aligned with request_type_names
    request_status_names: dict[int, str]
    closed_request_statuses: frozenset[int]
    satisfaction_names: list[str]
    grid_status_codes: list[int]  # in lifecycle order
    closed_grid_statuses: frozenset[int]
    hotline_categories: list[str]
    grid_category_codes: list[str]
    grid_category_titles: list[str]
    mediation_categories: list[str]
    outcome_names: dict[int, str]
    # for the cross-department scenario (demo/scenarios.py)
    street_codes: list[str]
    street_district_code: dict[str, str]
    community_street: dict[str, str]
    community_short_names: dict[str, str]  # the name as addresses write it (贺家弄社区, 大港村)
    grid_community: list[str]  # community code of every grid
    category_parent: dict[str, str]  # level-2 category code -> its level-1 group
    category_values: dict[str, dict[str, str]]  # source -> category code -> a value the source delivers for it
    dispute_groups: frozenset[str]

    @classmethod
    def load(cls) -> CityStandard:
        districts = read_seed("standard/std_division_district.csv")
        district_index = {row["district_code"]: i for i, row in enumerate(districts)}
        streets = read_seed("standard/std_division_street.csv")
        communities = {row["community_code"]: row for row in read_seed("standard/std_division_community.csv")}
        grids = read_seed("standard/std_grid.csv")
        request_types = read_seed("standard/std_request_type.csv")
        limits = {row["request_type_code"]: float(row["time_limit_hours"])
                  for row in read_seed("standard/cfg_service_time_limit.csv")}
        statuses = read_seed("standard/std_request_status.csv")
        grid_statuses = sorted(read_seed("standard/std_grid_event_status.csv"),
                               key=lambda row: int(row["lifecycle_order"]))
        category_names = {row["category_code"]: row["category_name"] for row in read_seed("standard/std_category.csv")}
        grid_categories = read_seed("mappings/map_category__grid_events.csv")
        return cls(
            city_name=read_seed("standard/std_division_city.csv")[0]["city_name"],
            district_codes=_column(districts, "district_code"),
            district_names=_column(districts, "district_name"),
            id_address_codes=id_address_codes(_column(districts, "district_code")),
            street_names=_column(streets, "street_name"),
            street_district=np.array([district_index[row["district_code"]] for row in streets]),
            grid_codes=_column(grids, "grid_code"),
            grid_names=_column(grids, "grid_name"),
            grid_district=np.array([district_index[communities[row["community_code"]]["district_code"]]
                                    for row in grids]),
            channel_names=_column(read_seed("standard/std_channel.csv"), "channel_name"),
            request_type_names=_column(request_types, "request_type_name"),
            time_limit_hours=np.array([limits[row["request_type_code"]] for row in request_types]),
            request_status_names={int(row["status_code"]): row["status_name"] for row in statuses},
            closed_request_statuses=frozenset(int(row["status_code"]) for row in statuses
                                              if row["is_closed"] == "true"),
            satisfaction_names=_column(read_seed("standard/std_satisfaction.csv"), "satisfaction_name"),
            grid_status_codes=[int(row["status_code"]) for row in grid_statuses],
            closed_grid_statuses=frozenset(int(row["status_code"]) for row in grid_statuses
                                           if row["is_closed"] == "true"),
            hotline_categories=_column(read_seed("mappings/map_category__hotline_12345.csv"), "source_value"),
            grid_category_codes=_column(grid_categories, "source_value"),
            grid_category_titles=[category_names[row["standard_code"]] for row in grid_categories],
            mediation_categories=_column(read_seed("mappings/map_dispute_category__mediation_cases.csv"), "source_value"),
            outcome_names={int(row["outcome_code"]): row["outcome_name"]
                           for row in read_seed("standard/std_mediation_outcome.csv")},
            street_codes=_column(streets, "street_code"),
            street_district_code={row["street_code"]: row["district_code"] for row in streets},
            community_street={code: row["street_code"] for code, row in communities.items()},
            community_short_names={code: re.sub("村委会$", "村", re.sub("(社区)?居委会$", "社区", row["community_name"]))
                                   for code, row in communities.items()},
            grid_community=_column(grids, "community_code"),
            category_parent={row["category_code"]: row["parent_category_code"]
                             for row in read_seed("standard/std_category.csv") if row["parent_category_code"]},
            category_values=_category_values(),
            dispute_groups=frozenset(row["category_group_code"] for row in read_seed(
                "standard/cfg_category_group.csv") if row["is_dispute"] == "true"),
        )


def _category_values() -> dict[str, dict[str, str]]:
    """Per source with a category mapping seed: the first delivered value of each standard category code."""
    values: dict[str, dict[str, str]] = {}
    for path in sorted((SEEDS_DIR / "mappings").glob("map_category__*.csv")):
        source = path.stem.removeprefix("map_category__")
        for row in read_seed(f"mappings/{path.name}"):
            values.setdefault(source, {}).setdefault(row["standard_code"], row["source_value"])
    return values
