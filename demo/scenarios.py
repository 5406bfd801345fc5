"""Cross-department ground truth: one plan per run of the matters several departments record.

`demo.generate.generate` builds a `Scenario` and passes it to every generator's `deliver`. A generator that takes
part (module constant `SCENARIO_ROLE`: "report" for a channel that reports matters, e.g. the 12345 hotline, a grid
platform, 110; "mediation" for people's mediation) writes one extra record per `ScenarioRecord` of its source with
exactly those values and returns `scenario_records` ({matter_id: [record_id, ...]}) in its ground truth. Matters get
category codes every reporting channel can write: those of its `map_category__<source>` seed, or, for a generator
that maps categories otherwise, those its function `scenario_categories(std) -> set[str]` returns.

The plan holds:
- multi-channel matters: one matter reported through two or three channels (same community and street, the same
  road address written in different forms, one category group, within 20 hours);
- decoys that must stay separate cases: the same address and category group two weeks later, or the same address
  within the window in another category group;
- dispute journeys: a dispute reported to a channel that refers disputes (`SCENARIO_REFERS_DISPUTES`), resolved
  there, or referred to people's mediation (which writes the referring record's id) and resolved, failed, or
  taken to litigation;
- one surge: many extra reports in one street, one ISO week and one category group, after enough weeks of history;
  and steady streets that get the same number of extra reports every week.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from demo.standard import CityStandard, read_seed
from demo.values import ROADS
from pipelines.settings import TIMEZONE

REPORT, MEDIATION = "report", "mediation"
MATTERS_PER_DAY = 3
MATTER_SPAN_HOURS = 20  # later reports of a matter come at most this long after the first (< every case window)
DECOY_LATE_DAYS = 14
SURGE_RECORDS = 25
STEADY_STREETS, STEADY_PER_WEEK = 2, 3
DISPUTES_PER_DAY = 1.0
# How a dispute journey ends: resolved by the referring channel (administrative mediation), by people's mediation,
# taken to litigation, left unresolved after a failed mediation, or still being mediated.
JOURNEY_OUTCOMES = {"administrative": 0.3, "success": 0.4, "litigation": 0.1, "failure": 0.1, "pending": 0.1}
OPEN_PART_SHARE = 0.15  # multi-channel matters with one part still open: the case stays open


@dataclass(frozen=True)
class ScenarioRecord:
    matter_id: str
    occurred_at: datetime  # Asia/Shanghai
    district_code: str
    street_code: str
    community_code: str
    address: str  # written as delivered
    category_code: str  # level-2 std_category; its level-1 parent is the category group
    is_dispute: bool
    is_closed: bool = True
    outcome: str | None = None  # a mediation record: success, failure, litigation (failed, referred) or pending


@dataclass(frozen=True)
class Place:
    district_code: str
    street_code: str
    community_code: str
    short_address: str  # street, community and road address
    full_address: str  # city, district, street, community and road address


class Scenario:
    """The plan of one run; records are handed to generators by source."""

    def __init__(self, std: CityStandard, seed: int, start: date, days: int, roles: dict[str, str],
                 dispute_sources: set[str], deliverable: dict[str, set[str]] | None = None):
        self._std, self._seed, self._start, self._days = std, seed, start, days
        self._rng = np.random.default_rng([seed, zlib.crc32(b"scenario")])
        self._zone = ZoneInfo(TIMEZONE)
        self.reporters = sorted(source for source, role in roles.items() if role == REPORT)
        self.mediators = sorted(source for source, role in roles.items() if role == MEDIATION)
        self._dispute_sources = sorted(dispute_sources & set(self.reporters))
        self._records: dict[str, list[ScenarioRecord]] = {source: [] for source in roles}
        self._registered: dict[str, dict[str, list[str]]] = {}
        self.matters: dict[str, dict] = {}
        self.journeys: dict[str, dict] = {}
        self.surge: dict | None = None
        self.steady: list[dict] = []
        self._places = _Places(std, self._rng)
        self._categories = _Categories(std, self.reporters, deliverable or {}, self._rng)
        if self.reporters:
            self._plan_matters()
            self._plan_disputes()
            self._plan_surge()

    # --- the interface the generators use --------------------------------------------------------------------

    def records_for(self, source: str) -> list[ScenarioRecord]:
        return sorted(self._records.get(source, []), key=lambda record: (record.occurred_at, record.matter_id))

    def rng_for(self, source: str) -> np.random.Generator:
        """A random stream of its own for a source's scenario records: the other records stay unchanged."""
        return np.random.default_rng([self._seed, zlib.crc32(f"scenario:{source}".encode())])

    def register(self, source: str, scenario_records: dict[str, list[str]]) -> None:
        """The record ids a generator wrote; mediation reads the referring record of a dispute from them."""
        self._registered[source] = scenario_records

    def referral_id(self, matter_id: str) -> str | None:
        for source in self._dispute_sources:
            ids = self._registered.get(source, {}).get(matter_id)
            if ids:
                return ids[0]
        return None

    def truth(self) -> dict:
        return {"matters": self.matters, "journeys": self.journeys, "surge": self.surge, "steady": self.steady}

    # --- planning --------------------------------------------------------------------------------------------

    def _add(self, source: str, matter_id: str, moment: datetime, place: Place, category: str, *,
             address: str | None = None, is_dispute: bool = False, is_closed: bool = True,
             outcome: str | None = None) -> None:
        self._records[source].append(ScenarioRecord(
            matter_id, moment, place.district_code, place.street_code, place.community_code,
            address or place.full_address, category, is_dispute, is_closed, outcome))
        matter = self.matters.setdefault(matter_id, {"channels": [], "community_code": place.community_code,
                                                     "all_closed": True})
        matter["channels"].append(source)
        matter["all_closed"] = matter["all_closed"] and is_closed

    def _moment(self, day: int) -> datetime:
        """A time between 08:00 and 18:00 of the window's `day`."""
        rng = self._rng
        base = datetime.combine(self._start + timedelta(days=day), time(8), self._zone)
        return base + timedelta(hours=float(rng.uniform(0, 10)), seconds=int(rng.integers(0, 60)))

    def _plan_matters(self) -> None:
        rng, last_day = self._rng, self._days - 2
        if last_day < 0:
            return
        for k in range(MATTERS_PER_DAY * self._days):
            matter, day = f"M{k + 1:05d}", int(rng.integers(0, last_day + 1))
            place, group = self._places.pick(), self._categories.group()
            sources = self._channels(int(rng.integers(2, 4)))
            open_part = int(rng.integers(len(sources))) if rng.random() < OPEN_PART_SHARE else -1
            first = self._moment(day)
            for part, source in enumerate(sources):
                moment = first + timedelta(hours=float(rng.uniform(0.5, MATTER_SPAN_HOURS)) if part else 0.0)
                address = place.full_address if rng.random() < 0.5 else place.short_address
                self._add(source, matter, moment, place, self._categories.code(group), address=address,
                          is_closed=part != open_part)
            self.matters[matter]["kind"] = "multi_channel"
            self._plan_decoy(f"D{k + 1:05d}", first, place, group)

    def _plan_decoy(self, matter: str, first: datetime, place: Place, group: str) -> None:
        """Same address, but two weeks later or in another category group: a separate case."""
        rng = self._rng
        late = first + timedelta(days=DECOY_LATE_DAYS)
        other = self._categories.other_group(group)
        if rng.random() < 0.5 and late.date() < self._start + timedelta(days=self._days):
            self._add(self._channels(1)[0], matter, late, place, self._categories.code(group))
            self.matters[matter]["kind"] = "decoy_late"
        elif rng.random() < 0.5 and other is not None:
            moment = first + timedelta(hours=float(rng.uniform(1, MATTER_SPAN_HOURS)))
            if moment.date() < self._start + timedelta(days=self._days):
                source = self._channels(1)[0]
                self._add(source, matter, moment, place, self._categories.code(other))
                self.matters[matter]["kind"] = "decoy_other_group"

    def _channels(self, count: int) -> list[str]:
        """`count` reporting sources, distinct while there are enough."""
        rng, reporters = self._rng, self.reporters
        chosen = list(rng.permutation(reporters)[:count])
        while len(chosen) < count:
            chosen.append(reporters[int(rng.integers(len(reporters)))])
        return [str(source) for source in chosen]

    def _plan_disputes(self) -> None:
        rng, last_day = self._rng, self._days - 5
        if not self._dispute_sources or last_day < 0 or self._categories.dispute_group is None:
            return
        outcomes = list(JOURNEY_OUTCOMES)
        for k in range(max(4, round(DISPUTES_PER_DAY * self._days))):
            matter, day = f"J{k + 1:05d}", int(rng.integers(0, last_day + 1))
            place = self._places.pick()
            outcome = str(rng.choice(outcomes, p=list(JOURNEY_OUTCOMES.values())))
            if outcome != "administrative" and not self.mediators:
                outcome = "administrative"
            source = self._dispute_sources[int(rng.integers(len(self._dispute_sources)))]
            moment, category = self._moment(day), self._categories.code(self._categories.dispute_group)
            self._add(source, matter, moment, place, category, is_dispute=True)
            stages = ["administrative_mediation"]
            if outcome != "administrative":
                mediation = moment + timedelta(days=int(rng.integers(1, 5)))
                self._add(self.mediators[0], matter, mediation, place, category, is_dispute=True,
                          is_closed=outcome != "pending", outcome=outcome)
                stages.append("people_mediation")
                if outcome == "litigation":
                    stages.append("litigation")
            resolved = {"administrative": "administrative_mediation", "success": "people_mediation",
                        "litigation": "litigation"}.get(outcome)
            self.matters[matter]["kind"] = "dispute"
            self.journeys[matter] = {"stages": stages, "resolved_stage": resolved,
                                     "resolved_at_grassroots": outcome in ("administrative", "success")}

    def _plan_surge(self) -> None:
        """The last complete ISO week after at least the hotspot rule's minimum of complete weeks gets a surge."""
        weeks = _complete_weeks(self._start, self._days)
        min_weeks = int(read_seed("standard/cfg_risk_hotspot_rule.csv")[0]["min_baseline_weeks"])
        streets = self._places.streets(1 + STEADY_STREETS)
        groups = [self._categories.group() for _ in streets]
        for n, (street, group) in enumerate(zip(streets[1:], groups[1:])):
            self.steady.append({"street_code": street, "category_group": group})
            for w, monday in enumerate(weeks):
                for k in range(STEADY_PER_WEEK):
                    self._surge_record(f"S{n + 1}{w + 1:03d}{k + 1:02d}", monday, street, group)
        if len(weeks) <= min_weeks:
            return
        monday = weeks[-1]
        self.surge = {"street_code": streets[0], "week_start": monday.isoformat(), "category_group": groups[0],
                      "matters": [f"U{k + 1:03d}" for k in range(SURGE_RECORDS)]}
        for matter in self.surge["matters"]:
            self._surge_record(matter, monday, streets[0], groups[0])

    def _surge_record(self, matter: str, monday: date, street: str, group: str) -> None:
        day = (monday - self._start).days + int(self._rng.integers(0, 7))
        source = self._channels(1)[0]
        self._add(source, matter, self._moment(day), self._places.pick(street), self._categories.code(group))
        self.matters[matter]["kind"] = "surge" if matter.startswith("U") else "steady"


def _complete_weeks(start: date, days: int) -> list[date]:
    """Mondays of the ISO weeks wholly inside the window."""
    first = start + timedelta(days=(7 - start.weekday()) % 7)
    end = start + timedelta(days=days - 1)
    return [first + timedelta(weeks=w) for w in range(((end - first).days + 1) // 7)] if first <= end else []


class _Places:
    """Communities with a grid (every channel can report there) and their road addresses."""

    def __init__(self, std: CityStandard, rng: np.random.Generator):
        self._std, self._rng = std, rng
        self._communities = sorted({std.grid_community[k] for k in range(len(std.grid_codes))})
        self._by_street: dict[str, list[str]] = {}
        for code in self._communities:
            self._by_street.setdefault(std.community_street[code], []).append(code)

    def streets(self, count: int) -> list[str]:
        return [str(street) for street in self._rng.choice(sorted(self._by_street), size=count, replace=False)]

    def pick(self, street: str | None = None) -> Place:
        rng, std = self._rng, self._std
        pool = self._by_street[street] if street else self._communities
        community = pool[int(rng.integers(len(pool)))]
        street_code = std.community_street[community]
        district = std.street_district_code[street_code]
        road = f"{ROADS[int(rng.integers(len(ROADS)))]}路{int(rng.integers(1, 900))}号"
        short = std.street_names[std.street_codes.index(street_code)] + std.community_short_names[community] + road
        full = std.city_name + std.district_names[std.district_codes.index(district)] + short
        return Place(district, street_code, community, short, full)


class _Categories:
    """Category groups (level-1) whose level-2 codes every reporting source can deliver."""

    def __init__(self, std: CityStandard, reporters: list[str], deliverable: dict[str, set[str]],
                 rng: np.random.Generator):
        self._rng = rng
        usable = set(std.category_parent)
        for source in reporters:
            # what the generator says it can write, else its category mapping seed, else any code
            usable &= deliverable.get(source) or set(std.category_values.get(source, usable))
        self._codes: dict[str, list[str]] = {}
        for code in sorted(usable):
            self._codes.setdefault(std.category_parent[code], []).append(code)
        self.dispute_group = next((group for group in sorted(self._codes) if group in std.dispute_groups), None)
        self._groups = [group for group in sorted(self._codes) if group != self.dispute_group]

    def group(self) -> str:
        return self._groups[int(self._rng.integers(len(self._groups)))]

    def other_group(self, group: str) -> str | None:
        others = [other for other in self._groups if other != group]
        return others[int(self._rng.integers(len(others)))] if others else None

    def code(self, group: str) -> str:
        codes = self._codes[group]
        return codes[int(self._rng.integers(len(codes)))]


def local_seconds(moment: datetime) -> int:
    """Local wall-clock seconds (as if UTC), the generators' time scale."""
    return int((moment.replace(tzinfo=None) - datetime(1970, 1, 1)).total_seconds())


def days_and_seqs(records: list[ScenarioRecord], start: date, first_seq: int) -> tuple[np.ndarray, np.ndarray]:
    """Each record's day offset and its sequence number in that day, counting on from `first_seq`."""
    day = np.array([(record.occurred_at.date() - start).days for record in records], dtype=np.int64)
    seq = np.zeros(len(records), dtype=np.int64)
    for d in np.unique(day):
        mine = np.flatnonzero(day == d)
        seq[mine] = first_seq + np.arange(len(mine))
    return day, seq


def matter_ids(records: list[ScenarioRecord], record_ids: list[str]) -> dict[str, list[str]]:
    """{matter_id: [record_id, ...]} as a generator reports it."""
    matters: dict[str, list[str]] = {}
    for record, record_id in zip(records, record_ids):
        matters.setdefault(record.matter_id, []).append(record_id)
    return matters
