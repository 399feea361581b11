"""The house rules of the import graph (issue 9): few floors, no circles, short modules, a light engine.

The graph counts every import statement of ``sim/`` and ``policies/``, including
those inside functions and under ``TYPE_CHECKING`` (see tests/import_graph.py,
which also prints the whole report: ``python tests/import_graph.py``).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.import_graph import (
    LIGHT_ENGINE_FORBIDS,
    MAX_FLOORS,
    MAX_LINES,
    circles,
    floors,
    import_graph,
    layer_violations,
    loaded_by,
    long_modules,
    longest_chain,
    module_files,
    package_graph,
)

MODULES = module_files()
GRAPH = import_graph(MODULES)

BEING_SPLIT: set[str] = set()
"""Modules over the line limit that other helpers are splitting now (issue 9); remove on merge."""


def test_at_most_10_floors_of_packages() -> None:
    packages = package_graph(GRAPH)
    height = max(floors(packages).values())
    assert height <= MAX_FLOORS, (
        f"{height} floors; the longest chain: {' -> '.join(longest_chain(packages))}"
    )


def test_no_circles_between_packages() -> None:
    found = circles(package_graph(GRAPH))
    assert not found, "packages that import each other: " + "; ".join(
        " <-> ".join(group) for group in found
    )


def test_no_circles() -> None:
    found = circles(GRAPH)
    assert not found, "modules that import each other: " + "; ".join(
        " <-> ".join(group) for group in found
    )


@pytest.mark.parametrize(
    "module",
    [
        pytest.param(
            module,
            marks=pytest.mark.xfail(strict=False, reason="being split by another helper (issue 9)"),
        )
        if module in BEING_SPLIT
        else module
        for module in sorted(MODULES)
    ],
)
def test_no_module_over_600_lines(module: str) -> None:
    offenders = long_modules({module: MODULES[module]})
    everyone = ", ".join(f"{m} ({n})" for m, n in long_modules(MODULES).items())
    assert not offenders, f"{module} has {offenders[module]} lines (> {MAX_LINES}); all: {everyone}"


def test_the_modules_being_split_exist() -> None:
    """The xfail list names real modules, so it cannot excuse a typo."""
    assert set(MODULES) >= BEING_SPLIT


def test_importing_the_engine_loads_neither_optuna_nor_scipy_stats() -> None:
    assert loaded_by("import sim.engine", LIGHT_ENGINE_FORBIDS) == []
    # The probe sees them when they are loaded.
    assert "scipy.stats" in loaded_by("import scipy.stats", LIGHT_ENGINE_FORBIDS)


# --- the checker itself, on a small made-up project -------------------------------------------


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")


def test_every_import_statement_counts(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "app/__init__.py": "from app.low import helper\n",
            "app/low.py": "import os\n\ndef helper(): ...\n",
            "app/mid.py": "from . import low\nfrom .low import helper\n",
            "app/top.py": """
                from typing import TYPE_CHECKING
                if TYPE_CHECKING:
                    from app.mid import thing

                def late():
                    import app.sub.leaf
            """,
            "app/sub/__init__.py": "",
            "app/sub/leaf.py": "from ..mid import x\nfrom app import low\n",
        },
    )
    modules = module_files(tmp_path, ["app"])
    graph = import_graph(modules)
    assert graph == {
        "app": {"app.low"},
        "app.low": set(),
        "app.mid": {"app.low"},
        "app.top": {"app.mid", "app.sub.leaf"},
        "app.sub": set(),
        "app.sub.leaf": {"app.mid", "app.low"},
    }
    assert floors(graph) == {
        "app": 2,
        "app.low": 1,
        "app.mid": 2,
        "app.top": 4,
        "app.sub": 1,
        "app.sub.leaf": 3,
    }
    assert longest_chain(graph) == ["app.top", "app.sub.leaf", "app.mid", "app.low"]
    assert circles(graph) == []


def test_circles_are_found_and_share_a_floor(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/a.py": "def f():\n    from app import b\n",
            "app/b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import app.a\nimport app.c\n",
            "app/c.py": "x = 1\n",
            "app/d.py": "import app.a\n",
        },
    )
    graph = import_graph(module_files(tmp_path, ["app"]))
    assert circles(graph) == [["app.a", "app.b"]]
    assert floors(graph) == {"app": 1, "app.a": 2, "app.b": 2, "app.c": 1, "app.d": 3}
    assert longest_chain(graph) == ["app.d", "(app.a <-> app.b)", "app.c"]
    assert long_modules(module_files(tmp_path, ["app"]), limit=2) == {"app.b": 4}


def test_layer_violations_name_the_arrows_against_the_layers() -> None:
    graph = {
        "policies.fancy": {"sim.config._types", "sim.engine.people", "policies.base"},
        "sim.experiment.model": {"sim.engine.kpis", "sim.engine.floor"},
        "sim.cli": {"sim.report", "sim.tuning"},
    }
    assert layer_violations(graph) == [
        "policies.fancy -> sim.engine.people",
        "sim.experiment.model -> sim.engine.floor",
    ]
