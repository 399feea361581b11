"""YAML text with a comment beside chosen values (what the calibrated scenario is written as).

``sim.report.run_folder.dump_yaml`` writes plain YAML; a calibrated scenario also
carries, next to each fitted value, the estimate, its interval and the rows it came
from, and PyYAML cannot write comments. This small emitter writes the subset of YAML
that configs use: nested mappings in block style, lists of mappings as block
sequences, other lists in flow style, and a 168-value hour-of-week profile as seven
rows of 24, one per day.
"""

from __future__ import annotations

from typing import Any

import yaml

from sim.config.calendar import DAY_NAMES
from sim.config.units import HOURS_PER_WEEK

Comments = dict[tuple[Any, ...], str]
"""Comment text by the path of keys (and list indexes) to the commented value."""


def commented_yaml(data: dict[str, Any], comments: Comments) -> str:
    """*data* as YAML lines (no trailing newline), each value in *comments* followed by its note."""
    lines: list[str] = []
    _emit(data, 0, (), comments, lines)
    return "\n".join(lines)


def read_back(text: str, data: dict[str, Any]) -> dict[str, Any]:
    """*text* read by PyYAML; raises RuntimeError (a bug) unless it holds *data* (numbers to 1e-9)."""
    loaded = yaml.safe_load(text)
    if _normalised(loaded) != _normalised(data):
        raise RuntimeError("the calibrated YAML does not read back as written (a bug)")
    return loaded


def _scalar(value: Any) -> str:
    """One scalar as YAML (floats by ``repr``, so they read back exactly)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = repr(value)
        return text if "inf" not in text and "nan" not in text else f".{text}"
    text = yaml.safe_dump(value, default_flow_style=True, width=10_000).strip()
    return text.removesuffix("\n...").removesuffix("...").strip()


def _flow(value: Any) -> str:
    """A value in flow style: ``[a, b]`` and ``{k: v}``."""
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_scalar(k)}: {_flow(v)}" for k, v in value.items()) + "}"
    return _scalar(value)


def _emit(
    node: dict[str, Any], indent: int, path: tuple[Any, ...], comments: Comments, out: list[str]
) -> None:
    pad = " " * indent
    for key, value in node.items():
        here = (*path, key)
        note = comments.get(here, "")
        note = f"  # {note}" if note else ""
        if isinstance(value, dict) and value:
            out.append(f"{pad}{key}:{note}")
            _emit(value, indent + 2, here, comments, out)
        elif key == "profile" and isinstance(value, list) and len(value) == HOURS_PER_WEEK:
            out.append(f"{pad}{key}:{note}")
            for day in range(7):
                values = ", ".join(_scalar(v) for v in value[day * 24 : day * 24 + 24])
                opener = "[" if day == 0 else " "
                closer = "]" if day == 6 else ","
                out.append(f"{pad}  {opener}{values}{closer}  # {DAY_NAMES[day]} 00-23h")
        elif isinstance(value, list) and any(isinstance(v, dict) for v in value):
            out.append(f"{pad}{key}:{note}")
            for i, item in enumerate(value):
                lines: list[str] = []
                _emit(item, indent + 4, (*here, i), comments, lines)
                if not lines:
                    out.append(f"{pad}  - {{}}")
                    continue
                first = lines[0]
                lines[0] = f"{pad}  - {first[indent + 4 :]}"
                out.extend(lines)
        else:
            out.append(f"{pad}{key}: {_flow(value)}{note}")


def _normalised(data: Any) -> Any:
    """Floats and ints compared as numbers, tuples as lists (for the read-back check)."""
    if isinstance(data, dict):
        return {str(k): _normalised(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [_normalised(v) for v in data]
    if isinstance(data, bool) or data is None or isinstance(data, str):
        return data
    if isinstance(data, int | float):
        return round(float(data), 9)
    return data
