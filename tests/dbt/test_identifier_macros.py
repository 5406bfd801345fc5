"""Identifier macros of dbt_project/macros/identifiers.sql, compiled by dbt itself and executed by DuckDB.

dbt starts in seconds, so the whole module costs one `dbt compile --inline`: it renders every macro once over a
placeholder relation `macro_inputs(i, v)`, and each test runs that compiled SQL on its own values in an in-memory
DuckDB. dbt writes only under tmp (own --target-path / --log-path), so dbt_project/target/manifest.json, which
Dagster loads, is never touched. python-stdnum serves as the independent oracle.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator, Sequence

import duckdb
import pytest
from stdnum.cn import ric, uscc

from tests.dbt.inline_sql import compile_inline


# Normalization in one step and validation over the normalized columns, as staging / intermediate do; nesting the
# calls instead would repeat the normalization expression ~20 times in the compiled SQL.
INLINE_SQL = """
with normalized as (
    select
        i,
        v,
        {{ normalize_citizen_id('v') }} as id_normalized,
        {{ normalize_uscc('v') }} as uscc_normalized,
        {{ normalize_phone('v') }} as phone_normalized
    from macro_inputs
)
select
    i,
    {{ citizen_id_is_valid('v') }} as id_raw,
    {{ citizen_id_is_valid('id_normalized') }} as id,
    {{ uscc_is_valid('v') }} as uscc_raw,
    {{ uscc_is_valid('uscc_normalized') }} as uscc,
    {{ mobile_phone_is_valid('v') }} as phone_raw,
    {{ mobile_phone_is_valid('phone_normalized') }} as phone
from normalized
order by i
"""

ID_VECTORS = ["11010519491231002X", "440524188001010014"]
USCC_VECTORS = ["91350100M000100Y43", "9131000063159284XQ"]

ID_CHECK = "10X98765432"
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
FORBIDDEN = "IOZSV"


def id_check(body: str) -> str:
    """GB 11643-1999 check character of 17 digits (written from the standard, not from the macro)."""
    return ID_CHECK[sum(int(c) * w for c, w in zip(body, ID_WEIGHTS, strict=True)) % 11]


def uscc_check(body: str) -> str:
    """GB 32100-2015 check character of 17 code characters."""
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(body, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


Evaluate = Callable[[Sequence[str | None]], list[dict[str, object]]]


@pytest.fixture(scope="module")
def compiled_sql() -> str:
    return compile_inline(INLINE_SQL)


@pytest.fixture(scope="module")
def evaluate(compiled_sql: str) -> Iterator[Evaluate]:
    con = duckdb.connect()

    def run(values: Sequence[str | None]) -> list[dict[str, object]]:
        con.execute(
            "create or replace temp table macro_inputs as "
            "select unnest(range(len(l))) as i, unnest(l) as v from (select $values::varchar[] as l)",
            {"values": list(values)},
        )
        cursor = con.execute(compiled_sql)
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        assert len(rows) == len(values)
        return rows

    yield run
    con.close()


def column(evaluate: Evaluate, values: Sequence[str | None], name: str) -> list[object]:
    return [row[name] for row in evaluate(values)]


def test_reference_check_functions_reproduce_the_published_vectors() -> None:
    assert [v[:17] + id_check(v[:17]) for v in ID_VECTORS] == ID_VECTORS
    assert [v[:17] + uscc_check(v[:17]) for v in USCC_VECTORS] == USCC_VECTORS


def test_published_vectors_are_valid(evaluate: Evaluate) -> None:
    assert column(evaluate, ID_VECTORS, "id_raw") == [True, True]
    assert column(evaluate, USCC_VECTORS, "uscc_raw") == [True, True]


def test_every_other_check_character_is_invalid(evaluate: Evaluate) -> None:
    ids = [v[:17] + c for v in ID_VECTORS for c in ID_CHECK if c != v[17]]
    codes = [v[:17] + c for v in USCC_VECTORS for c in USCC_ALPHABET if c != v[17]]
    assert len(ids) == 2 * 10 and len(codes) == 2 * 30
    assert column(evaluate, ids, "id_raw") == [False] * len(ids)
    assert column(evaluate, codes, "uscc_raw") == [False] * len(codes)


def test_citizen_id_format(evaluate: Evaluate) -> None:
    valid = ID_VECTORS[0]  # ends in X
    cases = {
        # value: (citizen_id_is_valid(v), citizen_id_is_valid(normalize_citizen_id(v)))
        None: (None, None),
        "": (False, None),
        "   ": (False, None),
        valid[:17]: (False, False),
        valid + "0": (False, False),
        "X" + valid[1:]: (False, False),
        valid.lower(): (False, True),  # documented: upper case only, normalize first
        "110105 19491231 002X": (False, True),
        "１１０１０５１９４９１２３１００２Ｘ": (False, True),  # full-width, as some forms deliver it
    }
    rows = evaluate(list(cases))
    assert [(r["id_raw"], r["id"]) for r in rows] == list(cases.values())


def test_uscc_format(evaluate: Evaluate) -> None:
    valid = USCC_VECTORS[0]
    cases = {
        # value: (uscc_is_valid(v), uscc_is_valid(normalize_uscc(v)))
        None: (None, None),
        "": (False, None),
        valid[:17]: (False, False),
        valid + "0": (False, False),
        valid.lower(): (False, True),  # documented: upper case only, normalize first
        "91350100M000100Y43".replace("M", " M "): (False, True),
    }
    rows = evaluate(list(cases))
    assert [(r["uscc_raw"], r["uscc"]) for r in rows] == list(cases.values())


def test_uscc_forbidden_letters_never_validate(evaluate: Evaluate) -> None:
    # Whatever value a forbidden letter might be given, one of the 31 check characters would match it: all 31
    # being false shows the alphabet rejects it, not the checksum. Also as the check character itself.
    valid = USCC_VECTORS[0]
    inside = [valid[:9] + letter + valid[10:17] + c for letter in FORBIDDEN for c in USCC_ALPHABET]
    as_check = [valid[:17] + letter for letter in FORBIDDEN]
    values = inside + as_check + [v.lower() for v in as_check]
    rows = evaluate(values)
    assert [r["uscc_raw"] for r in rows] == [False] * len(values)
    assert [r["uscc"] for r in rows] == [False] * len(values)


def test_uscc_letters_in_the_first_eight_characters_are_accepted(evaluate: Evaluate) -> None:
    # GB 32100 registration authority codes include letters (N agriculture, Y other): the macro checks the
    # alphabet only, where python-stdnum demands 8 leading digits, so these stay out of the stdnum comparison.
    rng = random.Random(32100)
    bodies = [rng.choice("ANY") + rng.choice("123") + "".join(rng.choices(USCC_ALPHABET, k=15)) for _ in range(50)]
    codes = [b + uscc_check(b) for b in bodies]
    assert column(evaluate, codes, "uscc_raw") == [True] * len(codes)


def test_mobile_phone(evaluate: Evaluate) -> None:
    cases = {
        # value: (mobile_phone_is_valid(v), mobile_phone_is_valid(normalize_phone(v)))
        None: (None, None),
        "13800138000": (True, True),
        "19912345678": (True, True),
        "+86 138 0013 8000": (False, True),  # documented: normalize_phone first
        "0086-138-0013-8000": (False, True),
        "8613800138000": (False, True),
        "12800138000": (False, False),
        "1380013800": (False, False),
        "138001380001": (False, False),
        "010-12345678": (False, False),
    }
    rows = evaluate(list(cases))
    assert [(r["phone_raw"], r["phone"]) for r in rows] == list(cases.values())


def random_citizen_ids(rng: random.Random, n: int) -> list[str]:
    """Valid IDs, a third of them corrupted in the check only. Address codes stdnum knows for every birth year
    used (it raises KeyError on unknown ones) and real dates, because stdnum also checks both and the macro not."""
    first, days = dt.date(1984, 1, 1), (dt.date(2009, 12, 31) - dt.date(1984, 1, 1)).days
    values = []
    for _ in range(n):
        born = first + dt.timedelta(days=rng.randrange(days + 1))
        body = rng.choice(["110105", "110108"]) + born.strftime("%Y%m%d") + f"{rng.randrange(1000):03d}"
        value = body + id_check(body)
        match rng.randrange(6):
            case 0:  # another check character
                value = body + rng.choice([c for c in ID_CHECK if c != value[17]])
            case 1:  # a changed sequence digit (birth date and place stay valid)
                pos = rng.randrange(14, 17)
                value = value[:pos] + rng.choice([d for d in "0123456789" if d != value[pos]]) + value[pos + 1:]
            case 2:  # lower case, outer spaces: both accept them (stdnum keeps inner spaces, so none here)
                value = f" {value.lower()} "
        values.append(value)
    return values


def random_usccs(rng: random.Random, n: int) -> list[str]:
    """Valid codes with 8 leading digits (stdnum's format), a third to half of them corrupted."""
    values = []
    for _ in range(n):
        body = "".join(rng.choices("0123456789", k=8) + rng.choices(USCC_ALPHABET, k=9))
        value = body + uscc_check(body)
        pos = rng.randrange(17)
        match rng.randrange(8):
            case 0:  # another check character
                value = body + rng.choice([c for c in USCC_ALPHABET if c != value[17]])
            case 1:  # one character changed (digits stay digits in the first 8)
                pool = "0123456789" if pos < 8 else USCC_ALPHABET
                value = value[:pos] + rng.choice([c for c in pool if c != value[pos]]) + value[pos + 1:]
            case 2:  # a forbidden letter
                value = value[:pos] + rng.choice(FORBIDDEN) + value[pos + 1:]
            case 3:  # one character missing
                value = value[:pos] + value[pos + 1:]
            case 4:  # lower case, which normalization and stdnum both accept
                value = value.lower()
        values.append(value)
    return values


def test_citizen_id_agrees_with_stdnum(evaluate: Evaluate) -> None:
    values = random_citizen_ids(random.Random(11643), 300)
    expected = [ric.is_valid(v) for v in values]
    assert 150 < sum(expected) < 270  # both outcomes well represented
    assert column(evaluate, values, "id") == expected


def test_uscc_agrees_with_stdnum(evaluate: Evaluate) -> None:
    values = random_usccs(random.Random(32100), 300)
    expected = [uscc.is_valid(v) for v in values]
    assert 100 < sum(expected) < 250
    assert column(evaluate, values, "uscc") == expected
