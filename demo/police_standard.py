"""The police code sets as the 110 incident generator needs them, read from the seeds (nothing here names a city)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from demo.standard import read_seed

CHANNEL_SHARES = {"01": 0.78, "02": 0.04, "03": 0.08, "04": 0.07, "05": 0.03}  # by report channel code: mostly 110


@dataclass(frozen=True)
class PoliceStandard:
    """The police code sets, the station of every street and the communities, from the seeds."""

    channel_names: list[str]
    channel_shares: np.ndarray
    class_codes: list[str]
    class_names: list[str]
    class_is_dispute: np.ndarray
    class_spellings: list[list[str]]
    type_names: list[str]
    type_class: np.ndarray  # class index of each sub-type
    type_category: list[str]  # '' = no counterpart in std_category
    type_spellings: list[list[str]]
    street_codes: list[str]
    street_names: list[str]
    street_district: list[str]
    street_station: list[str]  # standard station name of each street
    street_station_full: list[list[str]]  # the bureau's full station names (mapping seed)
    community_names: list[str]
    community_street: np.ndarray

    @classmethod
    def load(cls) -> PoliceStandard:
        channels = read_seed("standard/std_report_channel.csv")
        classes = read_seed("standard/std_police_incident_class.csv")
        class_codes = [row["incident_class_code"] for row in classes]
        types = read_seed("standard/std_police_incident_type.csv")
        station = {row["street_code"]: row for row in read_seed("standard/std_police_jurisdiction.csv")}
        streets = read_seed("standard/std_division_street.csv")
        street_index = {row["street_code"]: i for i, row in enumerate(streets)}
        communities = read_seed("standard/std_division_community.csv")
        shares = np.array([CHANNEL_SHARES.get(row["report_channel_code"], 0.0) for row in channels])
        station_full = _spellings("map_jurisdiction__police_incidents")
        class_spellings, type_spellings = (_spellings("map_incident_class__police_incidents"),
                                           _spellings("map_incident_type__police_incidents"))
        return cls(
            channel_names=[row["report_channel_name"] for row in channels],
            channel_shares=shares / shares.sum(),
            class_codes=class_codes,
            class_names=[row["incident_class_name"] for row in classes],
            class_is_dispute=np.array([row["is_dispute"] == "true" for row in classes]),
            class_spellings=[class_spellings.get(code, []) for code in class_codes],
            type_names=[row["incident_type_name"] for row in types],
            type_class=np.array([class_codes.index(row["incident_class_code"]) for row in types]),
            type_category=[row["category_code"] for row in types],
            type_spellings=[type_spellings.get(row["incident_type_code"], []) for row in types],
            street_codes=list(street_index),
            street_names=[row["street_name"] for row in streets],
            street_district=[row["district_code"] for row in streets],
            street_station=[station[code]["jurisdiction_name"] for code in street_index],
            street_station_full=[station_full.get(station[code]["jurisdiction_code"], []) for code in street_index],
            community_names=[re.sub("(居民委员会|村民委员会|居委会|委会)$", "", row["community_name"])
                             for row in communities],
            community_street=np.array([street_index[row["street_code"]] for row in communities]),
        )


def _spellings(seed: str) -> dict[str, list[str]]:
    """standard code -> the department's own spellings of it (a mapping seed)."""
    spellings: dict[str, list[str]] = {}
    for row in read_seed(f"mappings/{seed}.csv"):
        spellings.setdefault(row["standard_code"], []).append(row["source_value"])
    return spellings
