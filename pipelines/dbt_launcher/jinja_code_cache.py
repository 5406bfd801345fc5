"""A persistent cache of the Python code Jinja generates from a template source, for the pipeline's dbt processes.

dbt renders every macro it calls and every node's SQL through `Environment.from_string`, which lexes, parses,
generates Python source and compiles it again in every process (dbt's own template cache lives in memory): ~600
compiles, ~1 s of CPU in a nine-department day's dbt process. Python keeps module bytecode in `__pycache__`; this
keeps Jinja's, one `marshal`led code object per key in a folder.

The key is everything the generated code depends on: Python's bytecode magic and optimization level, the Jinja
version, the environment's class and code generator, its extensions, lexer settings, `optimized`, `is_async`,
`autoescape` (as the compiler sees it for this template name), `finalize`, the sandbox's intercepted operators, the
filters and tests (name, function, what they are passed: the code generator writes the pass argument, and the
optimizer folds constant filter calls into the code), the files of the modules defining those classes and functions
(size and time: an upgraded or edited dbt parser or filter gives new keys), and the call's name, filename,
defer_init and source. Code is compiled from a template's source only (project and dbt files), never from rendered
SQL or a variable's value.

The entries are read once as the process starts. An unreadable or corrupt entry is compiled again and rewritten;
entries are written to a temporary file and moved into place, so dbt's threads or two dbt processes may write the
same key.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import marshal
import os
import sys
import tempfile
from pathlib import Path
from types import CodeType

import jinja2
from jinja2.utils import _PassArg, internalcode

# the folder of the cache; unset, nothing is cached (pipelines/settings.py sets it for the pipeline's dbt processes)
CACHE_DIR_VARIABLE = "CITYBRAIN_JINJA_CODE_CACHE"
ENTRY_SUFFIX = ".marshal"
# A project's full parse writes ~1,700 entries; entries of edited templates or older packages are never used again.
# Past this many the folder starts over (one run compiles its templates again), so it never grows without bound.
MAX_ENTRIES = 10_000


def _qualified_name(obj: object) -> str:
    return f"{getattr(obj, '__module__', '')}.{getattr(obj, '__qualname__', type(obj).__qualname__)}"


@functools.lru_cache(maxsize=None)
def module_stamp(module_name: str) -> tuple:
    """A module's file, size and modification time: an edited or upgraded environment class, parser, extension or
    filter (dbt's own among them) gives new keys, whatever its package's version says."""
    module = sys.modules.get(module_name)
    try:
        stat = os.stat(module.__file__)  # type: ignore[union-attr, arg-type]
    except (AttributeError, TypeError, OSError):
        return (module_name,)
    return (module_name, module.__file__, stat.st_size, stat.st_mtime_ns)  # type: ignore[union-attr]


def _pass_arg(func: object) -> str:
    kind = _PassArg.from_obj(func)
    return kind.name if kind is not None else ""


def _callables(functions: tuple) -> list[tuple[str, str, str]]:
    return sorted((name, _qualified_name(func), _pass_arg(func)) for name, func in functions)


@functools.lru_cache(maxsize=64)
def _code_key(classes: tuple[type, ...], filters: tuple, tests: tuple) -> str:
    """The key's part that names code: dbt makes a new environment for each template, from the same few classes
    and filter and test functions, so this is computed once per process for each such combination."""
    modules = {cls.__module__ for top in classes for cls in top.__mro__}
    modules |= {getattr(func, "__module__", None) or "" for _, func in (*filters, *tests)}
    environment_class, generator_class, *extensions = classes
    return _digest((_qualified_name(environment_class), _qualified_name(generator_class),
                    sorted(_qualified_name(extension) for extension in extensions), _callables(filters),
                    _callables(tests), [module_stamp(module) for module in sorted(modules)]))


def _digest(key: tuple) -> str:
    return hashlib.sha256(repr(key).encode("utf-8", "surrogatepass")).hexdigest()


def _code_key_of(environment: jinja2.Environment) -> str:
    classes = (type(environment), environment.code_generator_class,
               *(type(extension) for extension in environment.extensions.values()))
    filters, tests = tuple(environment.filters.items()), tuple(environment.tests.items())
    try:
        return _code_key(classes, filters, tests)
    except TypeError:  # an unhashable filter or test: not memoized
        return _code_key.__wrapped__(classes, filters, tests)


def environment_key(environment: jinja2.Environment, name: str | None) -> tuple:
    """What the generated code of `environment` depends on besides the template itself."""
    autoescape = environment.autoescape
    finalize = environment.finalize
    return (
        importlib.util.MAGIC_NUMBER, sys.flags.optimize, jinja2.__version__,
        _code_key_of(environment),
        environment.block_start_string, environment.block_end_string,
        environment.variable_start_string, environment.variable_end_string,
        environment.comment_start_string, environment.comment_end_string,
        environment.line_statement_prefix, environment.line_comment_prefix,
        environment.trim_blocks, environment.lstrip_blocks, environment.newline_sequence,
        environment.keep_trailing_newline,
        environment.optimized, environment.is_async,
        bool(autoescape(name) if callable(autoescape) else autoescape),
        finalize is not None, _pass_arg(finalize),
        environment.sandboxed, sorted(getattr(environment, "intercepted_binops", ())),
        sorted(getattr(environment, "intercepted_unops", ())),
    )


def entry_name(environment: jinja2.Environment, source: str, name: str | None, filename: str | None,
               defer_init: bool) -> str:
    return f"{_digest((environment_key(environment, name), name, filename, defer_init, source))}{ENTRY_SUFFIX}"


def _read_entries(folder: Path) -> dict[str, bytes]:
    """Every entry, read as the process starts (before dbt's threads: a read in one of them gives the GIL up, then
    waits behind the running nodes to get it back)."""
    entries = {}
    try:
        names = os.listdir(folder)
    except OSError:
        return entries
    names = [name for name in names if name.endswith(ENTRY_SUFFIX)]
    if len(names) > MAX_ENTRIES:
        for name in names:
            (folder / name).unlink(missing_ok=True)
        return entries
    for name in names:
        try:
            entries[name] = (folder / name).read_bytes()
        except OSError:
            pass
    return entries


def _code(data: bytes | None) -> CodeType | None:
    if data is None:
        return None
    try:
        code = marshal.loads(data)
    except (ValueError, EOFError, TypeError):
        return None
    return code if isinstance(code, CodeType) else None


def write_atomically(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError:
        pass  # not cached: the next process compiles it again


def install(folder: Path) -> None:
    """Make every `jinja2.Environment.compile` of this process look its code up in `folder` first."""
    uncached_compile = jinja2.Environment.compile
    entries = _read_entries(folder)

    @internalcode
    def compile(self, source, name=None, filename=None, raw=False, defer_init=False):  # noqa: A001 (Jinja's name)
        if raw or not isinstance(source, str):  # Python source asked for, or an already parsed template
            return uncached_compile(self, source, name, filename, raw, defer_init)
        entry = entry_name(self, source, name, filename, defer_init)
        code = _code(entries.get(entry))
        if code is None:  # not cached, or unreadable: compiled and (re)written
            code = uncached_compile(self, source, name, filename, raw, defer_init)
            entries[entry] = marshal.dumps(code)
            write_atomically(folder / entry, entries[entry])
        return code

    jinja2.Environment.compile = compile


def install_from_environment(arguments: list[str]) -> None:
    """Install the cache in the folder the environment names, unless dbt's command line asks for macro debugging
    (it names each template's code after a source it puts in linecache as it compiles: cached code would name none)."""
    folder = os.environ.get(CACHE_DIR_VARIABLE)
    if folder and not os.environ.get("DBT_MACRO_DEBUGGING") and "--macro-debugging" not in arguments:
        install(Path(folder))
