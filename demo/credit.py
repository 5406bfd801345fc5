"""Credit lists: one XML file a week from the social credit office with the week's new entries, renewals and removals.

Enterprises are keyed by unified social credit code (GB 32100), persons by citizen ID (GB 11643). A renewal or a
removal is the whole entry again in a later week's file, with a later 有效期至 or a 移出日期.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import numpy as np

from demo.defects import DefectPicker, defect_count, members
from demo.delivery import reset_folder
from demo.standard import CityStandard, Contract, read_seed
from demo.values import citizen_id_bodies, citizen_id_texts, person_indexes, person_names
from pipelines.ingestion.contracts import load_contracts

SOURCE = "credit_lists"
DEFAULT_SIZE = 40  # new entries per week
MIN_SIZE = 35  # a week of one day in the window still gets 5 entries: one for each row defect
ID_PREFIX = "XY"
ROOT_ELEMENT = "信用名单"
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = np.array([1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28])
# 登记管理部门 9 (market regulation) + 类别 1 (enterprise) / 2 (sole proprietorship); 5 2 (social organization)
USCC_KINDS = ("91", "92", "52")
PERSON_SHARE = 0.25
CITY_REGISTERED_SHARE = 0.3  # enterprises registered by the city, not a district: the USCC names no district
DISTRICT_LEFT_OUT_SHARE = 0.2  # entries delivered without 所属区县
# Shares and validity ranges (days) of the list types in std_credit_list_type's order (red, black, watch):
# watch entries are short.
LIST_TYPE_SHARES = (0.3, 0.5, 0.2)
VALID_DAYS = ((730, 1095), (365, 1095), (14, 120))
ENTERPRISE_KINDS = ("法人", "非法人组织", "个体工商户")
PERSON_KIND = "自然人"
AUTHORITIES = ("市场监督管理局", "税务局", "人力资源和社会保障局", "中级人民法院", "生态环境局", "住房和城乡建设局")
BASES = ("《企业信息公示暂行条例》", "《重大税收违法失信主体信息公布管理办法》", "《最高人民法院关于公布失信被执行人名单信息的若干规定》",
         "《保障农民工工资支付条例》", "《守信激励对象认定办法》")
COMPANY_WORDS = ("恒通", "华信", "金诚", "瑞丰", "宏达", "新源", "永安", "众诚", "江南", "长城")
COMPANY_KINDS = ("贸易有限公司", "建设工程有限公司", "物流有限公司", "餐饮店", "科技有限公司", "商会")
RENEWED_SHARE, REMOVED_SHARE = 0.1, 0.1
MALFORMED_FILE_ENTRIES = 3  # new entries of a supplementary file that arrives cut off
DEFECTS = ("duplicate_record", "missing_required", "invalid_uscc", "invalid_citizen_id", "uscc_untidy")


@dataclass(frozen=True)
class CreditStandard:
    """The list types (code, standard name, the office's own spelling) and the city's division code."""

    list_types: list[tuple[str, str, str]]
    city_division: str

    @classmethod
    def load(cls) -> CreditStandard:
        spelling = {}
        for row in read_seed(f"mappings/map_credit_list_type__{SOURCE}.csv"):
            spelling.setdefault(row["standard_code"], row["source_value"])
        list_types = [(code, row["credit_list_type_name"], spelling[code])
                      for row in read_seed("standard/std_credit_list_type.csv")
                      for code in [row["credit_list_type_code"]]]
        return cls(list_types, read_seed("standard/std_division_city.csv")[0]["city_code"] + "00")


@dataclass
class Entry:
    entry_id: str
    week: int
    is_person: bool
    kind: str
    name: str
    code: str
    registered_district: int | None  # district index the USCC names, None: registered by the city
    district: int
    district_given: bool
    list_type: int
    listed: date
    valid_until: date
    authority: str
    basis: str
    removed: date | None = None


def deliver(inbox: Path, std: CityStandard, rng: np.random.Generator, start: date, days: int, per_week: int,
            scenario=None) -> dict:
    """Write the weekly XML files into `<inbox>/<source>/` and return this source's ground truth."""
    contract, credit = Contract.load(SOURCE), CreditStandard.load()
    weeks = _weeks(start, days, load_contracts()[SOURCE].start_date)
    entries = _new_entries(rng, std, credit, weeks, per_week)
    picks = _pick_defects(rng, entries)
    later = _later_versions(rng, entries, weeks, picks["missing_required"])
    files, written, malformed = _write_files(inbox, std, credit, contract, entries, later, picks, weeks)
    injected = {name: len(index) for name, index in picks.items()} | {
        "malformed_xml_file": int(malformed > 0),
        "renewed": sum(changed.removed is None for _, _, changed in later),
        "removed": sum(changed.removed is not None for _, _, changed in later)}
    return {"files": files, "injected": injected,
            "expected": _expected(std, credit, entries, later, picks, weeks, written, malformed)}


def _weeks(start: date, days: int, source_start: date) -> list[tuple[date, date, date]]:
    """(Monday, first day, last day) of every ISO week the window touches from the source's start, clipped."""
    end = start + timedelta(days=days - 1)
    weeks, first = [], start
    while first <= end:
        monday = first - timedelta(days=first.weekday())
        if monday >= source_start:
            weeks.append((monday, first, min(end, monday + timedelta(days=6))))
        first = monday + timedelta(days=7)
    if not weeks:
        raise ValueError(f"{SOURCE}: the window {start}..{end} has no week from the source's start "
                         f"{source_start}")
    return weeks


def uscc_check(body: str) -> str:
    values = [USCC_ALPHABET.index(character) for character in body]
    return USCC_ALPHABET[(31 - sum(v * w for v, w in zip(values, USCC_WEIGHTS.tolist())) % 31) % 31]


def _new_entries(rng: np.random.Generator, std: CityStandard, credit: CreditStandard,
                 weeks: list[tuple[date, date, date]], per_week: int) -> list[Entry]:
    """Each week's new entries; a week the window covers only in part gets its share, at least one."""
    counts = [max(1, round(per_week * ((last - first).days + 1) / 7)) for _, first, last in weeks]
    n = sum(counts)
    week = np.repeat(np.arange(len(weeks)), counts)
    first = np.array([first.toordinal() for _, first, _ in weeks])[week]
    span = np.array([(last - first).days + 1 for _, first, last in weeks])[week]
    district = rng.integers(len(std.district_codes), size=n)
    is_person = rng.random(n) < PERSON_SHARE
    list_type = rng.choice(len(credit.list_types), size=n, p=LIST_TYPE_SHARES)
    listed = first + (rng.random(n) * span).astype(np.int64)
    low, high = np.array(VALID_DAYS).T
    valid_days = rng.integers(low[list_type], high[list_type] + 1)
    city_registered = rng.random(n) < CITY_REGISTERED_SHARE
    district_given = rng.random(n) >= DISTRICT_LEFT_OUT_SHARE
    citizen_ids = citizen_id_texts(citizen_id_bodies(rng, n, std.id_address_codes), np.zeros(n, np.int64)).to_pylist()
    person = person_names(person_indexes(rng, n)).to_pylist()
    uscc_kind, kind = rng.integers(len(USCC_KINDS), size=n), rng.integers(len(ENTERPRISE_KINDS), size=n)
    organization = rng.integers(len(USCC_ALPHABET), size=(n, 9))
    company = rng.integers((len(COMPANY_WORDS), len(COMPANY_KINDS)), size=(n, 2))
    authority, basis = rng.integers(len(AUTHORITIES), size=n), rng.integers(len(BASES), size=n)
    seq = np.concatenate([np.arange(1, count + 1) for count in counts])
    entries = []
    for k in range(n):
        registered = None if is_person[k] or city_registered[k] else int(district[k])
        if is_person[k]:
            code, subject_kind, name = citizen_ids[k], PERSON_KIND, person[k]
        else:
            division = credit.city_division if registered is None else std.district_codes[registered]
            body = USCC_KINDS[uscc_kind[k]] + division + "".join(USCC_ALPHABET[v] for v in organization[k])
            code, subject_kind = body + uscc_check(body), ENTERPRISE_KINDS[kind[k]]
            name = std.city_name + COMPANY_WORDS[company[k, 0]] + COMPANY_KINDS[company[k, 1]]
        day = date.fromordinal(int(listed[k]))
        entries.append(Entry(
            entry_id=f"{ID_PREFIX}{weeks[week[k]][0]:%G%V}{seq[k]:05d}", week=int(week[k]),
            is_person=bool(is_person[k]), kind=subject_kind, name=name, code=code, registered_district=registered, district=int(district[k]),
            district_given=bool(district_given[k]), list_type=int(list_type[k]), listed=day,
            valid_until=day + timedelta(days=int(valid_days[k])),
            authority=std.city_name + AUTHORITIES[authority[k]], basis=BASES[basis[k]],
        ))
    return entries


def _pick_defects(rng: np.random.Generator, entries: list[Entry]) -> dict[str, np.ndarray]:
    n = len(entries)
    persons = np.array([entry.is_person for entry in entries])
    picker = DefectPicker(rng, n)
    eligible = {"invalid_uscc": ~persons, "uscc_untidy": ~persons, "invalid_citizen_id": persons}
    picks = {}
    for name in DEFECTS:
        candidates = eligible.get(name, np.ones(n, dtype=bool))
        # a window of a few entries (one day of a week) carries what it can; the ground truth counts the picks
        picks[name] = picker.pick(name, min(defect_count(n), picker.free(candidates)), candidates)
    for row in picks["invalid_uscc"]:
        entry = entries[row]
        entry.code = entry.code[:17] + next(c for c in USCC_ALPHABET[::-1] if c != entry.code[17])
    for row in picks["invalid_citizen_id"]:
        entry = entries[row]
        entry.code = entry.code[:17] + ("0" if entry.code[17] != "0" else "1")
    for row in picks["uscc_untidy"]:  # typed in lower case with a stray space: valid once normalized
        entries[row].code = " " + entries[row].code.lower()
    return picks


def _later_versions(rng: np.random.Generator, entries: list[Entry], weeks: list, lost: np.ndarray
                    ) -> list[tuple[int, int, Entry]]:
    """(entry, week, changed entry): entries delivered again in a later week, renewed (有效期至 a year later) or
    removed (移出日期 in that week), one change each and at least one of each when two entries can change. An
    entry that never landed is not changed."""
    eligible = np.flatnonzero([entry.week < len(weeks) - 1 for entry in entries] & ~members(len(entries), lost))
    counts = [min(len(eligible), max(1, round(share * len(eligible)))) for share in (RENEWED_SHARE, REMOVED_SHARE)]
    chosen = rng.permutation(eligible)
    renewed, removed = set(chosen[:counts[0]].tolist()), chosen[counts[0]:counts[0] + counts[1]].tolist()
    later = []
    for row in sorted([*renewed, *removed]):
        entry = entries[row]
        week = int(rng.integers(entry.week + 1, len(weeks)))
        _, first, last = weeks[week]
        if row in renewed:
            changed = replace(entry, valid_until=entry.valid_until + timedelta(days=365))
        else:
            changed = replace(entry, removed=first + timedelta(days=int(rng.integers((last - first).days + 1))))
        later.append((int(row), week, changed))
    return later


def _element(tag: str, value: str | None) -> str:
    """The element, or nothing for None (optional elements are left out)."""
    return f"<{tag}>{escape(value)}</{tag}>" if value is not None else ""


def _entry_xml(std: CityStandard, credit: CreditStandard, entry: Entry, without_list_type: bool = False) -> str:
    """An empty 名单类型 (missing_required) is written as an empty element: the element itself is delivered."""
    _, standard_name, spelling = credit.list_types[entry.list_type]
    list_type = "" if without_list_type else (standard_name if entry.entry_id.endswith(("0", "5")) else spelling)
    subject = "".join([
        _element("名称", entry.name),
        _element("身份证号" if entry.is_person else "统一社会信用代码", entry.code),
        _element("所属区县", std.district_names[entry.district] if entry.district_given else None),
    ])
    return (f"  <名单条目 编号={quoteattr(entry.entry_id)}>\n"
            f"    <主体 类型={quoteattr(entry.kind)}>{subject}</主体>\n"
            f"    {_element('名单类型', list_type)}{_element('认定部门', entry.authority)}"
            f"{_element('认定依据', entry.basis)}\n"
            f"    {_element('列入日期', entry.listed.isoformat())}{_element('有效期至', entry.valid_until.isoformat())}"
            f"{_element('移出日期', entry.removed.isoformat() if entry.removed else None)}\n"
            f"  </名单条目>\n")


def _document(elements: list[str]) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<{ROOT_ELEMENT}>\n' + "".join(elements)
            + f"</{ROOT_ELEMENT}>\n").encode("utf-8")


def _write_files(inbox: Path, std: CityStandard, credit: CreditStandard, contract: Contract, entries: list[Entry],
                 later: list[tuple[int, int, Entry]], picks: dict[str, np.ndarray], weeks: list
                 ) -> tuple[list[str], int, int]:
    """One file a week (its new entries, each duplicate right after its original, then the later versions) and a
    cut-off supplementary file in the middle week. Returns the files, the entry elements written and the entries of
    the cut-off file."""
    folder = reset_folder(inbox / SOURCE)
    duplicate, missing = set(picks["duplicate_record"].tolist()), set(picks["missing_required"].tolist())
    files, written = [], 0
    by_week: dict[int, list[str]] = {}
    for row, entry in enumerate(entries):
        element = _entry_xml(std, credit, entry, without_list_type=row in missing)
        by_week.setdefault(entry.week, []).extend([element, element] if row in duplicate else [element])
    for _, week, changed in later:
        by_week.setdefault(week, []).append(_entry_xml(std, credit, changed))
    for week, (monday, _, _) in enumerate(weeks):
        elements = by_week.get(week, [])
        name = contract.file_name(monday)
        (folder / name).write_bytes(_document(elements))
        files.append(f"{SOURCE}/{name}")
        written += len(elements)
    middle_monday = weeks[len(weeks) // 2][0]
    extra = [replace(entries[0], entry_id=f"{ID_PREFIX}{middle_monday:%G%V}B{k:04d}")
             for k in range(1, MALFORMED_FILE_ENTRIES + 1)]
    document = _document([_entry_xml(std, credit, entry) for entry in extra])
    cut = document.rindex("<有效期至>".encode())  # cut off inside the last entry: every start tag still counts
    name = contract.file_name(middle_monday, "_supplement")
    (folder / name).write_bytes(document[:cut])
    files.append(f"{SOURCE}/{name}")
    return files, written + len(extra), len(extra)


def _expected(std: CityStandard, credit: CreditStandard, entries: list[Entry], later: list[tuple[int, int, Entry]],
              picks: dict[str, np.ndarray], weeks: list, written: int, malformed: int) -> dict:
    """What the pipeline must find: each landed entry's latest version, active at the end of the last week."""
    n = len(entries)
    quarantine = {"malformed_xml": malformed, "duplicate_record": len(picks["duplicate_record"]),
                  "missing_required": len(picks["missing_required"])}
    lands = ~members(n, picks["missing_required"])
    latest = dict(enumerate(entries)) | {row: changed for row, _, changed in later}
    kept = [latest[row] for row in range(n) if lands[row]]
    as_of = weeks[-1][0] + timedelta(days=6)
    invalid = members(n, picks["invalid_uscc"]) | members(n, picks["invalid_citizen_id"])
    districts = [entry.registered_district if entry.registered_district is not None
                 else (entry.district if entry.district_given else None) for entry in kept]
    known = np.array([district for district in districts if district is not None], dtype=np.int64)
    by_district = np.bincount(known, minlength=len(std.district_codes))
    return {
        "rows_written": written,
        "quarantine": quarantine,
        "landed": written - sum(quarantine.values()),
        "distinct_entries": len(kept),
        "persons": sum(entry.is_person for entry in kept),
        "invalid_code": int((lands & invalid).sum()),
        "entries_by_list_type": {code: sum(entry.list_type == k for entry in kept)
                                 for k, (code, _, _) in enumerate(credit.list_types)},
        "removed": sum(entry.removed is not None for entry in kept),
        "active": sum(entry.removed is None and entry.valid_until >= as_of for entry in kept),
        "as_of_date": as_of.isoformat(),
        "entries_by_district": dict(zip(std.district_codes, by_district.tolist())),
        "unknown_district": sum(district is None for district in districts),
    }
