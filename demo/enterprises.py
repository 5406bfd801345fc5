"""Enterprise register: a full GBK CSV snapshot a month from the market regulation bureau (市场主体登记 / 法人库).

Over the months enterprises are registered, change status (存续 / 在业 / 吊销 / 注销 / 迁出) and attributes, leave the
register after 注销 or 迁出, and a few drop out of one snapshot and come back in the next. The ground truth holds the
SCD type 2 history the pipeline must build from the landed snapshots (a row quarantined in a month makes its
enterprise absent from that month's landed snapshot, so the history counts it too).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv

from demo.defects import DefectPicker, defect_count, members
from demo.delivery import reset_folder
from demo.enterprise_history import ABSENT, expected_history
from demo.monthly import USCC_ALPHABET, month_starts, uscc_texts
from demo.standard import CityStandard, Contract, read_seed
from demo.values import ROADS, person_indexes, person_names, pick_within

SOURCE = "enterprise_register"
DEFAULT_SIZE = 3_000  # enterprises in the first snapshot
MIN_SIZE = 20  # every month then has a row for each defect
NEW_SHARE = 0.01  # new registrations a month, of the first snapshot's size
OPERATING_SWITCH_SHARE = 0.01  # 存续 <-> 在业
CLOSING_SHARES = {"revoked": 0.003, "deregistered": 0.005, "moved_out": 0.002}  # by the status seed's closing_reason
LEAVES_REGISTER = ("deregistered", "moved_out")  # the snapshot after such a status no longer lists the enterprise
ATTRIBUTE_CHANGE_SHARE = 0.01
GAP_SHARE = 0.003  # left out of one snapshot by the export, back in the next
INVALID_USCC_SHARE = 0.01
STATUS_VARIANT_SHARE = 0.05  # the bureau's own spelling of a status (mapping seed)
SECTION_LETTER_SHARE = 0.5  # industry written C3011 rather than 3011
NAME_WORDS = list("华信达通安恒泰盛鑫源宏远科创新隆兴昌瑞丰德金润和旭辉")
NAME_TRADES = ["科技", "贸易", "建设", "物流", "餐饮", "机械", "电子", "商贸", "实业", "服务"]
NAME_FORMS = ["有限公司", "有限责任公司", "股份有限公司"]
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d")
UNDECODABLE_BYTE = b"\xff"  # valid neither in GB18030 nor in UTF-8
# No row in UTF-8 inside the GBK file: pipelines/ingestion/decoding.py decodes such a mixed file in time quadratic in
# its lines (20,000 lines: 4.5 s), which a 300,000-row snapshot cannot afford; the undecodable row stays.
DEFECTS = ("duplicate_record", "undecodable_row", "lowercase_uscc")
ORGANIZATION_CODES = 10**9


@dataclass
class Register:
    """Every enterprise ever registered in the window (index e), its state in each month (index m) and its attributes
    at each revision (index r: an attribute change moves an enterprise to its next revision)."""

    body: np.ndarray  # (n, 17) USCC character values
    check_shift: np.ndarray  # non-zero: an invalid code
    name: np.ndarray  # (n, 3) indexes: word, word, trade
    district: np.ndarray  # index into the authority mapping rows
    established: np.ndarray  # ordinal
    industry: np.ndarray  # (n,) class code of a known division, e.g. 3011
    status: np.ndarray  # (n, months) status code, ABSENT when the snapshot does not list it
    revision: np.ndarray  # (n, months)
    approved: np.ndarray  # (n, months) ordinal of the latest approved change
    street: np.ndarray  # (n, revisions) index into std.street_names, a street of the authority's district
    road: np.ndarray  # (n, revisions)
    house: np.ndarray  # (n, revisions)
    capital: np.ndarray  # (n, revisions) in 10,000 yuan
    person: np.ndarray  # (n, revisions, 3) legal representative


def deliver(inbox: Path, std: CityStandard, rng: np.random.Generator, start: date, days: int, size: int,
            scenario=None) -> dict:
    """Write one snapshot per month of the window into `<inbox>/<source>/` and return the ground truth."""
    contract = Contract.load(SOURCE)
    codes = _CodeSets.load()
    months = month_starts(start, days)
    register = _register(rng, std, codes, months, size)
    folder = reset_folder(inbox / SOURCE)
    files, landed, written, injected = [], np.zeros_like(register.status, dtype=bool), 0, dict.fromkeys(DEFECTS, 0)
    for m, month in enumerate(months):
        listed = np.flatnonzero(register.status[:, m] != ABSENT)
        picks = _pick_defects(rng, len(listed))
        data, rows = _snapshot_file(rng, std, codes, contract, register, m, listed, picks)
        name = contract.file_name(month)
        (folder / name).write_bytes(data)
        files.append(f"{SOURCE}/{name}")
        landed[listed, m] = True
        landed[listed[picks["undecodable_row"]], m] = False
        written += rows
        for defect, chosen in picks.items():
            injected[defect] += len(chosen)
    injected["invalid_uscc"] = int((register.check_shift != 0).sum())
    return {"files": files, "injected": injected,
            "expected": _expected(codes, register, months, landed, injected, written)}


@dataclass(frozen=True)
class _CodeSets:
    operating: list[int]  # status codes of operating enterprises
    closing: dict[str, int]  # closing_reason -> status code
    status_names: dict[int, str]
    status_variants: dict[int, list[str]]  # the bureau's spellings, from the mapping seed
    authorities: list[str]  # registration authorities, from the mapping seed
    authority_district: list[str]  # district code of each authority
    divisions: np.ndarray  # GB/T 4754 division codes (int)
    division_section: dict[int, str]

    @classmethod
    def load(cls) -> _CodeSets:
        statuses = read_seed("standard/std_registration_status.csv")
        variants: dict[int, list[str]] = {}
        for row in read_seed("mappings/map_registration_status__enterprise_register.csv"):
            variants.setdefault(int(row["standard_code"]), []).append(row["source_value"])
        authorities = read_seed("mappings/map_district__enterprise_register.csv")
        divisions = [row for row in read_seed("standard/std_industry.csv") if row["industry_level"] == "division"]
        return cls(
            operating=[int(row["registration_status_code"]) for row in statuses if row["is_operating"] == "true"],
            closing={row["closing_reason"]: int(row["registration_status_code"]) for row in statuses
                     if row["closing_reason"]},
            status_names={int(row["registration_status_code"]): row["registration_status_name"] for row in statuses},
            status_variants=variants,
            authorities=[row["source_value"] for row in authorities],
            authority_district=[row["standard_code"] for row in authorities],
            divisions=np.array([int(row["industry_code"]) for row in divisions]),
            division_section={int(row["industry_code"]): row["section_code"] for row in divisions},
        )

    @property
    def closing_reason(self) -> dict[int, str]:
        return {code: reason for reason, code in self.closing.items()}


def _register(rng: np.random.Generator, std: CityStandard, codes: _CodeSets, months: list[date],
              size: int) -> Register:
    """The true register: `size` enterprises in the first month, then each month's registrations and changes."""
    new_per_month = max(1, round(NEW_SHARE * size))
    first_month = np.concatenate([np.zeros(size, dtype=np.int64),
                                  np.repeat(np.arange(1, len(months)), new_per_month)])
    n, revisions = len(first_month), len(months)
    district = rng.integers(0, len(codes.authorities), size=n)
    status = np.full((n, len(months)), ABSENT, dtype=np.int64)
    revision = np.zeros((n, len(months)), dtype=np.int64)
    approved = np.zeros((n, len(months)), dtype=np.int64)
    established = np.array([months[m].toordinal() for m in first_month]) + rng.integers(0, 28, size=n)
    established[:size] = months[0].toordinal() - rng.integers(30, 20 * 365, size=size)
    for m, month in enumerate(months):
        new = first_month == m
        status[new, m] = rng.choice(codes.operating, size=int(new.sum()))
        approved[new, m] = established[new]
        if m == 0:
            continue
        previous = status[:, m - 1]
        stays = (previous != ABSENT) & ~np.isin(previous, [codes.closing[reason] for reason in LEAVES_REGISTER])
        status[stays, m], revision[stays, m] = previous[stays], revision[stays, m - 1]
        approved[stays, m] = approved[stays, m - 1]
        _change(rng, codes, status, revision, approved, m, month, np.flatnonzero(stays))
    _leave_gaps(rng, status)
    std_district = np.array([std.district_codes.index(code) for code in codes.authority_district])[district]
    street = pick_within(rng, std.street_district, np.repeat(std_district, revisions)).reshape(n, revisions)
    return Register(
        body=_uscc_bodies(rng, codes, district),
        check_shift=np.where(rng.random(n) < INVALID_USCC_SHARE, rng.integers(1, 31, size=n), 0),
        name=np.column_stack([rng.integers(0, len(NAME_WORDS), size=(n, 2)),
                              rng.integers(0, len(NAME_TRADES), size=n)]),
        district=district,
        established=established,
        industry=rng.choice(codes.divisions, size=n) * 100 + rng.integers(0, 100, size=n),
        status=status,
        revision=revision,
        approved=approved,
        street=street,
        road=rng.integers(0, len(ROADS), size=(n, revisions)),
        house=rng.integers(1, 400, size=(n, revisions)),
        capital=rng.integers(1, 2000, size=(n, revisions)) * 5,
        person=person_indexes(rng, n * revisions).reshape(n, revisions, 3),
    )


def _uscc_bodies(rng: np.random.Generator, codes: _CodeSets, district: np.ndarray) -> np.ndarray:
    """91 (enterprise) + the authority's 6-digit district code + a 9-digit organization code, distinct for all."""
    n = len(district)
    organization = rng.integers(0, ORGANIZATION_CODES, size=n)
    while True:
        _, first = np.unique(organization, return_index=True)
        repeated = np.setdiff1d(np.arange(n), first)
        if not len(repeated):
            break
        organization[repeated] = rng.integers(0, ORGANIZATION_CODES, size=len(repeated))
    prefix = np.array([[USCC_ALPHABET.index(c) for c in "91" + code] for code in codes.authority_district])
    digits = organization[:, None] // 10 ** np.arange(8, -1, -1) % 10
    return np.column_stack([prefix[district], digits])


def _change(rng: np.random.Generator, codes: _CodeSets, status: np.ndarray, revision: np.ndarray,
            approved: np.ndarray, m: int, month: date, candidates: np.ndarray) -> None:
    """This month's status and attribute changes of enterprises listed last month (each at most one change):
    a status change needs an operating enterprise; every change is approved on a day of the month."""
    order = rng.permutation(candidates)
    shares = {"switch": OPERATING_SWITCH_SHARE, **CLOSING_SHARES, "attribute": ATTRIBUTE_CHANGE_SHARE}
    position = 0
    for change, share in shares.items():
        chosen = order[position:position + int(round(share * len(order)))]
        position += len(chosen)
        if change == "attribute":
            revision[chosen, m] += 1
        else:
            chosen = chosen[np.isin(status[chosen, m], codes.operating)]
            status[chosen, m] = (np.where(status[chosen, m] == codes.operating[0], codes.operating[-1],
                                          codes.operating[0]) if change == "switch" else codes.closing[change])
        approved[chosen, m] = month.toordinal() + rng.integers(0, 28, size=len(chosen))


def _leave_gaps(rng: np.random.Generator, status: np.ndarray) -> None:
    """A few listed enterprises are missing from one snapshot and listed again in the next."""
    for m in range(1, status.shape[1] - 1):
        listed = np.flatnonzero((status[:, m] != ABSENT) & (status[:, m + 1] == status[:, m]))
        gone = rng.choice(listed, size=min(len(listed), max(1, round(GAP_SHARE * len(listed)))), replace=False)
        status[gone, m] = ABSENT


def _pick_defects(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    picker = DefectPicker(rng, n)
    every_row = np.ones(n, dtype=bool)
    counts = {"duplicate_record": defect_count(n), "undecodable_row": 1, "lowercase_uscc": defect_count(n)}
    return {name: picker.pick(name, counts[name], every_row) for name in DEFECTS}


def _snapshot_file(rng: np.random.Generator, std: CityStandard, codes: _CodeSets, contract: Contract,
                   register: Register, m: int, listed: np.ndarray, picks: dict[str, np.ndarray]
                   ) -> tuple[bytes, int]:
    """One month's CSV bytes (GB18030 with one undecodable row) and its number of records."""
    columns = _columns(rng, std, codes, register, m, listed)
    for row in picks["lowercase_uscc"]:
        columns["uscc"][row] = columns["uscc"][row].lower()
    table = pa.table({name: pa.array(columns[name], pa.string()) for name in contract.columns})
    buffer = io.BytesIO()
    # No quoting: the export tool never quotes, and no value holds a comma.
    pa_csv.write_csv(table, buffer, pa_csv.WriteOptions(include_header=False, quoting_style="none"))
    lines = buffer.getvalue().decode("utf-8").rstrip("\n").split("\n")
    duplicate = members(len(lines), picks["duplicate_record"])
    undecodable = members(len(lines), picks["undecodable_row"])
    out = [",".join(contract.headers()).encode(contract.encoding)]
    for k, line in enumerate(lines):
        if undecodable[k]:
            first, _, rest = line.partition(",")  # a stray byte at the start of the name
            encoded = first.encode(contract.encoding) + b"," + UNDECODABLE_BYTE + rest.encode(contract.encoding)
        else:
            encoded = line.encode(contract.encoding)
        out += [encoded, encoded] if duplicate[k] else [encoded]
    return b"\n".join(out) + b"\n", len(lines) + int(duplicate.sum())


def _status_texts(rng: np.random.Generator, codes: _CodeSets, status: np.ndarray) -> list[str]:
    """The standard name, or now and then one of the bureau's own spellings (mapping seed)."""
    variant = rng.random(len(status)) < STATUS_VARIANT_SHARE
    choice = rng.integers(0, 1 << 30, size=len(status))
    texts = []
    for code, use_variant, k in zip(status.tolist(), variant, choice):
        spellings = codes.status_variants.get(code)
        texts.append(spellings[k % len(spellings)] if use_variant and spellings else codes.status_names[code])
    return texts


def _columns(rng: np.random.Generator, std: CityStandard, codes: _CodeSets, register: Register, m: int,
             listed: np.ndarray) -> dict[str, list[str]]:
    """Every contract column of the listed enterprises, as delivered text."""
    revision = register.revision[listed, m]
    district = register.district[listed]
    street_names = np.array(std.street_names)
    district_names = dict(zip(std.district_codes, std.district_names))
    date_format = rng.integers(0, len(DATE_FORMATS), size=len(listed))
    with_letter = rng.random(len(listed)) < SECTION_LETTER_SHARE
    industry = register.industry[listed]
    people = register.person[listed, revision]
    return {
        "uscc": uscc_texts(register.body[listed], register.check_shift[listed]),
        "enterprise_name": [f"{std.city_name}{NAME_WORDS[a]}{NAME_WORDS[b]}{NAME_TRADES[t]}{NAME_FORMS[e % 3]}"
                            for (a, b, t), e in zip(register.name[listed].tolist(), listed.tolist())],
        "registration_status": _status_texts(rng, codes, register.status[listed, m]),
        "established_date": [date.fromordinal(day).strftime(DATE_FORMATS[f])
                             for day, f in zip(register.established[listed].tolist(), date_format.tolist())],
        "approved_date": [date.fromordinal(day).strftime(DATE_FORMATS[f])
                          for day, f in zip(register.approved[listed, m].tolist(), date_format.tolist())],
        "industry_code": [(codes.division_section[code // 100] if letter else "") + f"{code:04d}"
                          for code, letter in zip(industry.tolist(), with_letter.tolist())],
        "registered_capital": [f"{capital:.2f}" for capital in register.capital[listed, revision].tolist()],
        "address": [f"{std.city_name}{district_names[codes.authority_district[d]]}{street}{ROADS[road]}路{number}号"
                    for d, street, road, number in zip(
                        district.tolist(), street_names[register.street[listed, revision]].tolist(),
                        register.road[listed, revision].tolist(), register.house[listed, revision].tolist())],
        "legal_representative": person_names(people).to_pylist(),
        "registration_authority": [codes.authorities[d] for d in district.tolist()],
    }


def _expected(codes: _CodeSets, register: Register, months: list[date], landed: np.ndarray, injected: dict,
              written: int) -> dict:
    quarantine = {"duplicate_record": injected["duplicate_record"], "encoding_error": injected["undecodable_row"]}
    ever_landed = landed.any(axis=1)
    state = np.stack([register.status, register.revision, register.approved], axis=-1)
    history = expected_history(state, register.status, landed, codes.closing_reason, months,
                               uscc_texts(register.body, register.check_shift),
                               [codes.authority_district[k] for k in register.district])
    return {
        "rows_written": written,
        "quarantine": quarantine,
        "landed": written - sum(quarantine.values()),
        "snapshots": len(months),
        "enterprises": int(ever_landed.sum()),
        "invalid_uscc": int((ever_landed & (register.check_shift != 0)).sum()),
        **history,
    }
