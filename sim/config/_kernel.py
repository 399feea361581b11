"""Which kernel runs: the compiled one (mypyc) or the pure-Python source, and why.

``pip install -e .`` compiles the engine's modules, and the arithmetic of the scenario's
rules they ask on the way (:mod:`sim.config.fades`, :mod:`sim.config.slipping`,
:mod:`sim.config.weekly_calendar`), with mypyc when a C compiler is present (``setup.py``).
Each compiled module (``floor.cpython-311-x86_64-linux-gnu.so``) sits beside its source
(``floor.py``), and Python imports the compiled one first; the build also records the
sha256 of every source it compiled (``_kernel_sources.json``, beside this module, with
mypyc's runtime). Both kernels give byte-identical numbers (``tests/test_kernel.py``); the
compiled one is about twice as fast (``docs/performance.md``).

:mod:`sim.config` imports this module before anything else, and :mod:`sim.engine` imports
:mod:`sim.config`: so the kernel is chosen before any compiled module is imported, whichever
package a program imports first (this module lives in the bottom package for that reason).
It keeps the compiled kernel only when it is complete and every source still matches its
record; otherwise (a source edited since the build, a compiled module or the record
missing) every kernel module is imported from its ``.py``, with one :class:`KernelWarning`
naming the reason and the fix (child processes inherit the choice through
``SALESPULSE_PURE_PYTHON``, without the warning). Setting ``SALESPULSE_PURE_PYTHON=1``
chooses the pure-Python source without a warning. Its public face is :mod:`sim.engine.kernel`.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

PURE_PYTHON_VARIABLE = "SALESPULSE_PURE_PYTHON"
"""Set to 1 to run the pure-Python engine even where the compiled kernel is built."""
SOURCES_RECORD = "_kernel_sources.json"
"""Written by the build beside this module: ``{module: sha256 of its .py}``, each module named
inside the package (``engine.floor``)."""
SHARED_LIBRARY = "_kernel__mypyc"
"""mypyc's runtime, beside this module, which every compiled module imports (``SHARED_LIBRARY``
in setup.py)."""
REBUILD_HINT = "run `pip install -e .` again to rebuild it"

_HOME = Path(__file__).parent.name
"""The subpackage holding this module, mypyc's runtime and the record: ``config``."""
_PACKAGE_FOLDER = Path(__file__).parent.parent
_PACKAGE = __name__.split(".")[0]


class KernelWarning(RuntimeWarning):
    """The compiled kernel is built but cannot be used; the pure-Python engine runs instead."""


def source_digest(path: Path) -> str:
    """The sha256 of a source file, as the build records it."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _is_compiled(folder: Path, stem: str) -> bool:
    return any(
        (folder / f"{stem}{suffix}").exists() for suffix in importlib.machinery.EXTENSION_SUFFIXES
    )


def _source(folder: Path, module: str) -> Path:
    """The ``.py`` of *module* (``engine.floor``) inside the package *folder*."""
    return folder.joinpath(*module.split(".")).with_suffix(".py")


def compiled_modules(folder: Path = _PACKAGE_FOLDER) -> list[str]:
    """Modules of the package in *folder*'s subpackages with a compiled extension beside
    their ``.py``, named inside the package (``engine.floor``)."""
    found = set()
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        for extension in folder.glob(f"*/*{suffix}"):
            module = f"{extension.parent.name}.{extension.name.removesuffix(suffix)}"
            if _source(folder, module).exists():
                found.add(module)
    return sorted(found)


def _shows(folder: Path, module: str) -> str:
    """*module*'s source as a user finds it: ``sim/engine/floor.py``."""
    return _source(folder, module).relative_to(folder.parent).as_posix()


def stale_reason(folder: Path = _PACKAGE_FOLDER) -> str | None:
    """Why the compiled modules in the package *folder* must not be used (None: they match
    their sources)."""
    compiled = compiled_modules(folder)
    try:
        recorded: dict[str, str] = json.loads((folder / _HOME / SOURCES_RECORD).read_text("utf-8"))
    except (OSError, ValueError):
        return f"the compiled kernel has no readable {SOURCES_RECORD}"
    for module, digest in sorted(recorded.items()):
        source = _source(folder, module)
        if not source.exists() or source_digest(source) != digest:
            return f"{_shows(folder, module)} changed since the compiled kernel was built"
    missing = sorted(set(recorded) - set(compiled))
    if not _is_compiled(folder / _HOME, SHARED_LIBRARY):
        missing.insert(0, SHARED_LIBRARY)
    if missing:
        return f"the compiled kernel is incomplete ({missing[0]} is not compiled)"
    unrecorded = sorted(set(compiled) - set(recorded))
    if unrecorded:
        return f"{unrecorded[0]} is compiled but not in {SOURCES_RECORD}"
    return None


class _SourceOnly(importlib.abc.MetaPathFinder):
    """Imports the named kernel modules from their ``.py``, passing over compiled ones."""

    def __init__(self, modules: Sequence[str]) -> None:
        self._sources = {
            f"{_PACKAGE}.{module}": _source(_PACKAGE_FOLDER, module) for module in modules
        }

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        source = self._sources.get(fullname)
        return None if source is None else importlib.util.spec_from_file_location(fullname, source)


def _choose() -> str:
    """Pick the kernel once, before any kernel module is imported; describe the choice."""
    compiled = compiled_modules()
    if not compiled:
        return "pure Python (not compiled)"
    reason: str | None = f"{PURE_PYTHON_VARIABLE} is set"
    if os.environ.get(PURE_PYTHON_VARIABLE, "") in ("", "0"):
        reason = stale_reason()
        if reason is None:
            return f"compiled (mypyc, {len(compiled)} modules)"
        # Attributed to the package's folder, not a line of code: one line on the terminal.
        warnings.warn_explicit(
            f"salespulse runs its pure-Python engine: {reason}; {REBUILD_HINT}",
            KernelWarning,
            filename=str(_PACKAGE_FOLDER),
            lineno=0,
            module=__name__,
        )
        # Worker processes and subprocesses run the same engine, without repeating the warning.
        os.environ[PURE_PYTHON_VARIABLE] = "1"
    sys.meta_path.insert(0, _SourceOnly(compiled))
    return f"pure Python ({reason})"


_KERNEL = _choose()


def kernel() -> str:
    """The engine this process runs, and why: ``compiled (mypyc, 19 modules)`` or
    ``pure Python (<reason>)``. Benchmarks print it beside their figures."""
    return _KERNEL
