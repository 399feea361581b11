"""Build the engine's compiled kernel with mypyc, or install pure Python when that fails.

Everything else about the package is in ``pyproject.toml``. ``pip install -e .`` (or a
wheel build) runs :class:`BuildKernel`: it compiles :data:`KERNEL` with mypyc (a build
dependency) into extension modules beside their sources and records the sha256 of each
compiled source in ``sim/config/_kernel_sources.json``, so that an edited source is never
shadowed by its stale compiled module (:mod:`sim.config._kernel` checks the record at
import). Without a C compiler, when mypyc fails, or with ``SALESPULSE_PURE_PYTHON=1`` the
package installs as pure Python with one warning line; the numbers are the same.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).parent
PACKAGE = "sim"
KERNEL = [
    f"{PACKAGE}/engine/{name}.py"
    for name in (
        "_state",
        "_local_time",
        "_comebacks",
        "_channels",
        "_adherence",
        "_screening",
        "_customers",
        "_decision",
        "_referrals",
        "arrivals",
        "clock",
        "floor",
        "meter",
        "people",
        "streams",
        "tally",
    )
] + [f"{PACKAGE}/config/{name}.py" for name in ("fades", "slipping", "weekly_calendar")]
"""The modules compiled: the engine's event loop and everything it calls per event, with the
arithmetic of the scenario's rules it asks on the way (response curves, adherence, working week)."""
MYPY_OPTIONS = ["--follow-imports=silent", "--ignore-missing-imports", "--no-site-packages"]
"""The kernel is typed by its own annotations; installed libraries (numpy, pydantic) count as
untyped whether or not the build environment has them, so every build compiles the same code."""
SHARED_LIBRARY = f"{PACKAGE}.config._kernel"
"""mypyc's runtime for the compiled modules, ``sim/config/_kernel__mypyc.*.so``: inside the
package (its default is a top-level module), so a copy of the package is complete, and in the
bottom package, which every compiled module may import. ``sim.config._kernel`` checks that it
is there."""
SOURCES_RECORD = f"{PACKAGE}/config/_kernel_sources.json"
PURE_PYTHON_VARIABLE = "SALESPULSE_PURE_PYTHON"


def _module_in_package(source: str) -> str:
    """How the record names a compiled source: ``sim/engine/floor.py`` is ``engine.floor``."""
    return ".".join(Path(source).relative_to(PACKAGE).with_suffix("").parts)


def _cause(error: BaseException) -> str:
    """The error's kind and the start of its first line (a compiler command can be long)."""
    first = (str(error).splitlines() or [""])[0]
    return f"{type(error).__name__}: {first[:120]}{'...' if len(first) > 120 else ''}"


def _warn(reason: str) -> None:
    print(
        f"WARNING: salespulse installs its pure-Python engine ({reason}); the numbers are "
        "the same, a replication takes about twice the CPU time",
        file=sys.stderr,
    )


class BuildKernel(build_ext):
    """Compile the kernel; on any failure, leave nothing compiled behind and warn once."""

    def finalize_options(self) -> None:
        self.distribution.ext_modules = self._kernel_extensions()
        super().finalize_options()

    def _kernel_extensions(self) -> list[Extension]:
        """mypyc's C extensions of the kernel ([] when it cannot be compiled)."""
        if os.environ.get(PURE_PYTHON_VARIABLE, "") not in ("", "0"):
            _warn(f"{PURE_PYTHON_VARIABLE} is set")
            return []
        try:
            from mypyc.build import mypycify

            return mypycify([*MYPY_OPTIONS, *KERNEL], opt_level="3", group_name=SHARED_LIBRARY)
        except (Exception, SystemExit) as error:  # mypy exits on type errors
            _warn(f"mypyc could not compile the kernel: {_cause(error)}")
            return []

    def run(self) -> None:
        if not self.extensions:
            return
        try:
            super().run()
        except Exception as error:  # no C compiler, a compiler error: pure Python still works
            self._remove_outputs()
            _warn(
                f"the compiled kernel could not be built, is a C compiler installed? {_cause(error)}"
            )
            return
        self._record_sources()

    def _targets(self) -> list[Path]:
        """Where the record goes: the build tree, and the sources for in-place and editable builds."""
        folders = [Path(self.build_lib)]
        if self.inplace or getattr(self, "editable_mode", False):
            folders.append(ROOT)
        return folders

    def _record_sources(self) -> None:
        record = {
            _module_in_package(source): hashlib.sha256((ROOT / source).read_bytes()).hexdigest()
            for source in KERNEL
        }
        for folder in self._targets():
            path = folder / SOURCES_RECORD
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n", "utf-8")

    def _remove_outputs(self) -> None:
        """Remove the record and every compiled kernel module, new or left from a past build."""
        stems = [Path(source).with_suffix("") for source in KERNEL]
        stems.append(Path(*f"{SHARED_LIBRARY}__mypyc".split(".")))
        for folder in self._targets():
            (folder / SOURCES_RECORD).unlink(missing_ok=True)
            for stem in stems:
                for compiled in (folder / stem.parent).glob(f"{stem.name}.*.so"):
                    compiled.unlink()


setup(
    # A placeholder so that setuptools runs build_ext (and tags the wheel for the
    # platform); BuildKernel replaces it with mypyc's extensions.
    ext_modules=[Extension("sim.engine._kernel_placeholder", sources=[])],
    cmdclass={"build_ext": BuildKernel},
)
