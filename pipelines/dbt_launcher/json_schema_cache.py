"""dbt's JSON schemas of its settings classes, kept for the next process, in the pipeline's dbt processes.

Before it runs, dbt validates its project, profile, flags and package settings against the JSON schema of their
classes, which mashumaro builds from the class definitions in every process: ~0.4 s of a day's dbt process,
before its first node. The schemas depend only on the installed dbt, its adapters and mashumaro, so this keeps each
one as a JSON file beside the cache of Jinja's generated code (jinja_code_cache.py, in its folder), named by the
class, the versions of those packages and the files of the modules defining the class and its bases (an upgraded
or edited package gives new names). An unreadable file is built again and rewritten.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import platform
from importlib import metadata
from pathlib import Path

from dbt_common.dataclass_schema import dbtClassMixin
from jinja_code_cache import CACHE_DIR_VARIABLE, module_stamp, write_atomically

SCHEMA_FOLDER = "json_schemas"
# what the schemas are built from: dbt's settings classes, its adapters' credentials, mashumaro's schema builder
DISTRIBUTIONS = ("dbt-core", "dbt-common", "dbt-adapters", "dbt-duckdb", "mashumaro")
_PATCHED = "_citybrain_cached_json_schema"


@functools.lru_cache(maxsize=1)
def _versions() -> tuple:
    found = []
    for name in DISTRIBUTIONS:
        try:
            found.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            found.append((name, None))
    return platform.python_version(), tuple(found)


def schema_file(folder: Path, cls: type) -> Path:
    key = (cls.__module__, cls.__qualname__, _versions(),
           [module_stamp(module) for module in sorted({base.__module__ for base in cls.__mro__})])
    return folder / f"{hashlib.sha256(repr(key).encode()).hexdigest()}.json"


def install(folder: Path) -> None:
    """Make dbtClassMixin.json_schema read a kept schema first in this process."""
    built = dbtClassMixin.json_schema.__func__  # dbt's own: builds the schema (memoized per class in the process)
    if getattr(built, _PATCHED, False):
        return

    @functools.lru_cache
    def json_schema(cls) -> dict:
        path = schema_file(folder, cls)
        try:
            return json.loads(path.read_bytes())
        except (OSError, ValueError):
            schema = built(cls)
            write_atomically(path, json.dumps(schema).encode())
            return schema

    setattr(json_schema, _PATCHED, True)
    dbtClassMixin.json_schema = classmethod(json_schema)


def install_from_environment() -> None:
    folder = os.environ.get(CACHE_DIR_VARIABLE)
    if folder:
        install(Path(folder) / SCHEMA_FOLDER)
