"""The cache of Jinja's generated code (pipelines/dbt_launcher/jinja_code_cache.py): an environment whose generated
code would differ gets its own entry, and an unreadable entry is compiled again, never an error."""

from __future__ import annotations

import marshal
from pathlib import Path
from types import CodeType

import jinja2
import pytest

from pipelines.dbt_launcher import jinja_code_cache

TEMPLATE = "{% for item in items %}\n  {{ item | mark }}\n{% endfor %}\n"
ITEMS = {"items": ["a", "b"]}


def plain_mark(value):
    return f"<{value}>"


@jinja2.pass_environment
def environment_mark(environment, value):
    return f"[{value}:{environment.trim_blocks}]"


def environment(trim_blocks: bool = False, mark=plain_mark) -> jinja2.Environment:
    made = jinja2.Environment(trim_blocks=trim_blocks)
    made.filters["mark"] = mark
    return made


# each differs from the plain environment in one setting the generated code depends on
VARIANTS = {"plain": {}, "trim_blocks": {"trim_blocks": True},
            "filter passed the environment": {"mark": environment_mark}}


UNCACHED_COMPILE = jinja2.Environment.compile


def install(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cache installed in this process until the test ends, as a new dbt process installs it."""
    monkeypatch.setattr(jinja2.Environment, "compile", UNCACHED_COMPILE)
    jinja_code_cache.install(folder)


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    install(tmp_path / "jinja_code", monkeypatch)
    return tmp_path / "jinja_code"


def entries(folder: Path) -> list[Path]:
    return sorted(folder.glob(f"*{jinja_code_cache.ENTRY_SUFFIX}"))


def test_environments_that_generate_different_code_get_their_own_entries(monkeypatch, tmp_path):
    uncached = {variant: environment(**options).from_string(TEMPLATE).render(ITEMS)
                for variant, options in VARIANTS.items()}
    assert len(set(uncached.values())) == len(VARIANTS)  # each setting changes what the template renders
    folder = tmp_path / "jinja_code"
    for process in range(2):  # the second reads the entries the first wrote
        install(folder, monkeypatch)
        cached = {variant: environment(**options).from_string(TEMPLATE).render(ITEMS)
                  for variant, options in VARIANTS.items()}
        assert cached == uncached, f"install {process}"
        assert len(entries(folder)) == len(VARIANTS)


def test_generated_source_is_not_cached(cache):
    assert isinstance(environment().compile(TEMPLATE, raw=True), str)
    assert not cache.exists()


def test_a_corrupt_entry_is_compiled_again_and_rewritten(cache, monkeypatch):
    expected = environment().from_string(TEMPLATE).render(ITEMS)
    [entry] = entries(cache)
    for damage in (b"not marshal data", entry.read_bytes()[:20], marshal.dumps("a string, not code")):
        entry.write_bytes(damage)
        install(cache, monkeypatch)  # the next process reads the damaged entry
        assert environment().from_string(TEMPLATE).render(ITEMS) == expected
        assert entries(cache) == [entry]
        assert isinstance(marshal.loads(entry.read_bytes()), CodeType)


def test_a_folder_past_its_bound_starts_over(tmp_path, monkeypatch):
    folder = tmp_path / "jinja_code"
    install(folder, monkeypatch)
    environment().from_string(TEMPLATE).render(ITEMS)
    [kept] = entries(folder)
    monkeypatch.setattr(jinja_code_cache, "MAX_ENTRIES", 3)
    for number in range(3):  # entries of templates no longer used
        (folder / f"stale{number}{jinja_code_cache.ENTRY_SUFFIX}").write_bytes(kept.read_bytes())
    install(folder, monkeypatch)  # 4 entries > 3: the next process empties the folder, then writes what it compiles
    assert entries(folder) == []
    assert environment().from_string(TEMPLATE).render(ITEMS) == "\n  <a>\n\n  <b>\n"
    assert entries(folder) == [kept]
