"""Vectorized building blocks for fake values: text columns, people, phones, citizen IDs, times and spellings.

Columns are numpy index arrays until the end, then pyarrow string arrays: a million rows stay fast.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from stdnum.cn import ric
from stdnum.exceptions import ValidationError

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢")
GIVEN_CHARS = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国文斌宇浩凯健俊帆帅旭宁琳欣悦晨阳雪梅婷")
ROADS = "中山 解放 人民 建设 新华 和平 长江 黄河 东风 学府 文化 健康 胜利 光明 朝阳 青年 幸福 团结".split()

CHECK_CHARACTERS = "10X98765432"
ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
OLDEST_BIRTH_YEAR, YOUNGEST_BIRTH_YEAR = 1950, 2006
EPOCH = date(1970, 1, 1)
SECONDS_PER_DAY = 86_400


def join(*parts: pa.Array | str) -> pa.Array:
    """Element-wise concatenation; null when any part is null."""
    return pc.binary_join_element_wise(*parts, "")


def pick(names: list[str], index: np.ndarray) -> pa.Array:
    return pa.array(names, pa.string()).take(pa.array(index))


def text(numbers: np.ndarray, width: int = 0) -> pa.Array:
    digits = pa.array(numbers).cast(pa.string())
    return pc.utf8_lpad(digits, width, "0") if width else digits


def with_nulls(values: pa.Array, present: np.ndarray) -> pa.Array:
    return pc.if_else(pa.array(present), values, pa.nulls(len(values), values.type))


def replace_at(values: pa.Array, index: np.ndarray, replacements: list) -> pa.Array:
    """`values` with the elements at `index` (distinct) replaced, in the order of `index`."""
    order = np.argsort(index, kind="stable")
    mask = np.zeros(len(values), dtype=bool)
    mask[index] = True
    return pc.replace_with_mask(values, pa.array(mask), pa.array([replacements[i] for i in order], values.type))


def decreasing_shares(count: int, ratio: float) -> np.ndarray:
    """Shares falling geometrically: the first code set entry is the most common one."""
    weights = ratio ** np.arange(count)
    return weights / weights.sum()


def pick_within(rng: np.random.Generator, group_of_item: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """A uniformly chosen item of each requested group (e.g. a street of each row's district)."""
    order = np.argsort(group_of_item, kind="stable")
    counts = np.bincount(group_of_item, minlength=groups.max() + 1)
    if not counts[groups].all():
        raise ValueError("a group without items was requested (e.g. a district without streets)")
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    offsets = (rng.random(len(groups)) * counts[groups]).astype(np.int64)
    return order[starts[groups] + offsets]


# --- time -----------------------------------------------------------------------------------------------------

def day_starts(start: date, days: int) -> np.ndarray:
    """Local wall-clock seconds (as if UTC) of each day's midnight."""
    return ((start - EPOCH).days + np.arange(days, dtype=np.int64)) * SECONDS_PER_DAY


def utc_offsets(start: date, days: int, timezone: str) -> np.ndarray:
    """UTC offset in seconds of each day (at noon), to turn local wall-clock times into epoch times."""
    zone = ZoneInfo(timezone)
    first = start.toordinal()
    return np.array([
        datetime.combine(date.fromordinal(first + d), time(12), zone).utcoffset().total_seconds()
        for d in range(days)
    ], dtype=np.int64)


def seconds_of_day(rng: np.random.Generator, n: int, hourly_weights: list[float]) -> np.ndarray:
    hours = rng.choice(24, size=n, p=np.asarray(hourly_weights) / sum(hourly_weights))
    return hours * 3600 + rng.integers(0, 3600, size=n)


def slashed_timestamps(seconds: np.ndarray, present: np.ndarray | None = None) -> pa.Array:
    """`%Y/%m/%d %H:%M:%S` texts (a cast and a replace: several times faster than strftime)."""
    stamps = pa.array(seconds, pa.timestamp("s"), mask=None if present is None else ~present)
    return pc.replace_substring(stamps.cast(pa.string()), "-", "/")


def day_tags(start: date, days: np.ndarray) -> pa.Array:
    """`%Y%m%d` of each day offset from `start`."""
    tags = [(start + timedelta(days=d)).strftime("%Y%m%d") for d in range(int(days.max(initial=0)) + 1)]
    return pick(tags, days)


# --- people -----------------------------------------------------------------------------------------------------

def person_indexes(rng: np.random.Generator, n: int) -> np.ndarray:
    """(n, 3) indexes: surname, first given character, second given character (len(GIVEN_CHARS) = none)."""
    second = rng.integers(0, len(GIVEN_CHARS), size=n)
    second[rng.random(n) < 0.3] = len(GIVEN_CHARS)
    return np.column_stack([rng.integers(0, len(SURNAMES), size=n), rng.integers(0, len(GIVEN_CHARS), size=n), second])


def person_names(indexes: np.ndarray) -> pa.Array:
    return join(pick(SURNAMES, indexes[:, 0]), pick(GIVEN_CHARS, indexes[:, 1]),
                pick(GIVEN_CHARS + [""], indexes[:, 2]))


def mobile_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    return 10**10 + rng.integers(3, 10, size=n) * 10**9 + rng.integers(0, 10**9, size=n)


def phone_texts(rng: np.random.Generator, numbers: np.ndarray, variant_share: float = 0.06) -> pa.Array:
    """Mostly plain 11 digits; some written +86..., +86 ... or 138 1234 5678, as callers' numbers arrive."""
    plain = text(numbers)
    shares = [1 - variant_share] + [variant_share / 3] * 3
    variant = rng.choice(4, size=len(numbers), p=shares).astype(np.int8)
    spaced = join(pc.utf8_slice_codeunits(plain, 0, 3), " ", pc.utf8_slice_codeunits(plain, 3, 7), " ",
                  pc.utf8_slice_codeunits(plain, 7, 11))
    return pc.choose(pa.array(variant), plain, join("+86", plain), join("+86 ", plain), spaced)


# --- citizen ID numbers (GB 11643) ------------------------------------------------------------------------------

def _first_valid_birth_year(address_code: str) -> int | None:
    """Earliest birth year for which the national code table knows `address_code` (codes were created over time)."""
    for year in range(OLDEST_BIRTH_YEAR, YOUNGEST_BIRTH_YEAR + 1):
        body = np.array([int(f"{address_code}{year}0101001")], dtype=np.int64)
        try:
            ric.validate(citizen_id_texts(body, np.zeros(1, dtype=np.int64))[0].as_py())
        except (ValidationError, KeyError):  # python-stdnum 2.2 raises KeyError for a code without a county
            continue
        return year
    return None


def id_address_codes(district_codes: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """District codes usable as ID address codes and the first birth year each is valid for.

    Statistics-only codes (development zones) never appear in ID numbers, and a district created in 2002
    cannot be the birthplace code of someone born in 1970.
    """
    first_years = {code: _first_valid_birth_year(code) for code in district_codes}
    usable = [code for code, year in first_years.items() if year is not None]
    if not usable:
        raise ValueError("no district code of the city is a valid citizen-ID address code")
    return np.array(usable, dtype=np.int64), np.array([first_years[code] for code in usable], dtype=np.int64)


def citizen_id_bodies(rng: np.random.Generator, n: int, address_codes: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """The first 17 digits as int64: address code, birth date YYYYMMDD, 3-digit sequence."""
    codes, first_years = address_codes
    which = rng.integers(0, len(codes), size=n)
    first_day = (first_years[which] - 1970).astype("datetime64[Y]").astype("datetime64[D]")
    last_day = np.datetime64(f"{YOUNGEST_BIRTH_YEAR}-12-31")
    span = (last_day - first_day).astype(np.int64) + 1
    birth = first_day + (rng.random(n) * span).astype(np.int64)
    year = birth.astype("datetime64[Y]").astype(np.int64) + 1970
    month = birth.astype("datetime64[M]").astype(np.int64) % 12 + 1
    day = (birth - birth.astype("datetime64[M]")).astype(np.int64) + 1
    birth_number = year * 10_000 + month * 100 + day
    return codes[which] * 10**11 + birth_number * 1000 + rng.integers(1, 1000, size=n)


def check_indexes(bodies: np.ndarray) -> np.ndarray:
    digits = (bodies[:, None] // 10 ** np.arange(16, -1, -1, dtype=np.int64)) % 10
    return (digits @ ID_WEIGHTS) % 11


def citizen_id_texts(bodies: np.ndarray, check_shift: np.ndarray) -> pa.Array:
    """ID numbers; a non-zero `check_shift` writes a wrong check character (an injected invalid ID)."""
    check = (check_indexes(bodies) + check_shift) % 11
    return join(text(bodies), pick(list(CHECK_CHARACTERS), check))


# --- places and spellings ---------------------------------------------------------------------------------------

def addresses(rng: np.random.Generator, n: int) -> np.ndarray:
    """(n, 2) indexes: road, house number."""
    return np.column_stack([rng.integers(0, len(ROADS), size=n), rng.integers(1, 400, size=n)])


def address_texts(city: str, district: pa.Array, street: pa.Array, address: np.ndarray) -> pa.Array:
    return join(city, district, street, pick(ROADS, address[:, 0]), "路", text(address[:, 1]), "号")


def fullwidth(value: str) -> str:
    """ASCII letters and digits as their full-width forms (ＡＰＰ, ３２１１０２)."""
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in value)


def district_spellings(city_name: str, district_name: str, district_code: str) -> list[str]:
    """How departments write a district besides its standard name; each must conform to the same code."""
    short = re.sub("[区市县]$", "", district_name)
    spellings = [city_name + district_name, district_code, fullwidth(district_code),
                 f" {district_name} ", f"{district_name}\u3000"]
    if len(short) >= 2 and short != district_name:
        spellings.append(short)
    return spellings


def untidy_code(rng: np.random.Generator, value: str) -> str:
    """A code value with stray (ideographic) spaces or full-width letters; it still maps once normalized."""
    if re.search("[A-Za-z]", value) and rng.random() < 0.5:
        return fullwidth(value)
    return [f" {value}", f"{value} ", f"\u3000{value} ", f"{value}\u3000"][rng.integers(0, 4)]
