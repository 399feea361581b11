"""Experiment files: a scenario, a cadence, and how many replications to run.

:func:`load_experiment` reads a YAML file, applies ``--set`` overrides and
validates everything; any problem becomes one :class:`ConfigError` that names
the file, the field and what was expected.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, ValidationError

from policies.cadence import Cadence
from sim.scenario import Scenario
from sim.schema import ConfigModel

DEFAULT_EXPERIMENT = Path(__file__).resolve().parent.parent / "experiments" / "baseline.yaml"


class ConfigError(ValueError):
    """Bad input: a file, a field or a flag that is not what was expected."""


class Experiment(ConfigModel):
    """One scenario run under one cadence for a number of replications."""

    name: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", description="used for the results folder"
    )
    description: str = ""
    seed: int = Field(12345, ge=0, description="root seed: same seed, same numbers")
    replications: int = Field(20, ge=1, description="independent runs of the scenario")
    scenario: Scenario
    policy: Cadence = Cadence()

    def to_config(self) -> dict[str, Any]:
        """The fully resolved YAML form (every default spelled out, durations in human units)."""
        data = self.model_dump(mode="json", exclude={"policy"})
        data["policy"] = self.policy.to_config()
        return data


def _field_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part.startswith(("function-", "tagged-union")) or part in (
            "fixed",
            "exponential",
            "lognormal",
            "uniform",
        ):
            continue
        else:
            path += f".{part}" if path else part
    return path or "(top level)"


def _explain(error: dict[str, Any], model_fields: list[str] | None) -> str:
    kind = error["type"]
    message = error["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if kind == "extra_forbidden":
        message = "unknown field" + (
            f"; expected one of: {', '.join(model_fields)}" if model_fields else ""
        )
    elif kind == "missing":
        message = "required field is missing"
    got = error.get("input")
    if kind not in ("missing", "extra_forbidden") and not isinstance(got, dict | list):
        message += f" (got {got!r})"
    return message


def _allowed_fields(root: type[ConfigModel], loc: tuple[int | str, ...]) -> list[str] | None:
    """The field names valid at the parent of *loc*, for 'did you mean' messages."""
    model: Any = root
    for part in loc[:-1]:
        if isinstance(part, int) or model is None:
            continue
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            return None
        annotation = field.annotation
        args = getattr(annotation, "__args__", ())
        candidates = [
            a for a in (annotation, *args) if isinstance(a, type) and issubclass(a, ConfigModel)
        ]
        model = candidates[0] if candidates else None
    if model is None or not hasattr(model, "model_fields"):
        return None
    return list(model.model_fields)


def format_validation_error(error: ValidationError, source: str, root: type[ConfigModel]) -> str:
    """One readable line per problem: ``file: field.path: what was expected``."""
    lines = []
    for item in error.errors():
        loc = item["loc"]
        allowed = _allowed_fields(root, loc) if item["type"] == "extra_forbidden" else None
        lines.append(f"{source}: {_field_path(loc)}: {_explain(item, allowed)}")
    return "\n".join(dict.fromkeys(lines))


def read_yaml(path: Path) -> dict[str, Any]:
    """Read a YAML mapping, turning every failure into a :class:`ConfigError`."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the file ({exc})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        at = f" at line {where.line + 1}, column {where.column + 1}" if where else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{path}: malformed YAML{at}: {problem}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a YAML mapping of fields at the top level")
    return data


_INDEX = re.compile(r"\[(\d+)\]")


def apply_override(data: dict[str, Any], assignment: str) -> None:
    """Apply ``path.to.field=value`` (value read as YAML) to an already resolved config."""
    path, sep, raw = assignment.partition("=")
    if not sep or not path.strip():
        raise ConfigError(f"--set {assignment!r}: expected path.to.field=value")
    keys: list[str | int] = [
        int(part) if part.isdigit() else part
        for part in _INDEX.sub(r".\1", path.strip()).split(".")
    ]
    node: Any = data
    for depth, key in enumerate(keys):
        here = ".".join(str(k) for k in keys[: depth + 1])
        is_last = depth == len(keys) - 1
        found = (isinstance(node, dict) and key in node) or (
            isinstance(node, list) and isinstance(key, int) and key < len(node)
        )
        if not found:
            options = (
                f"; expected one of: {', '.join(map(str, node))}" if isinstance(node, dict) else ""
            )
            raise ConfigError(f"--set {path}: no field {here!r}{options}")
        if is_last:
            try:
                node[key] = yaml.safe_load(raw)
            except yaml.YAMLError:
                node[key] = raw
        else:
            node = node[key]


def validate_experiment(data: dict[str, Any], source: str = "<experiment>") -> Experiment:
    """Validate raw config data into an :class:`Experiment`, or raise :class:`ConfigError`."""
    try:
        return Experiment.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, source, Experiment)) from None


def load_experiment(
    path: str | Path | None = None, overrides: list[str] | tuple[str, ...] = ()
) -> Experiment:
    """Load and validate an experiment file (default: ``experiments/baseline.yaml``).

    *overrides* are ``path.to.field=value`` strings applied after defaults are
    filled in, so any field can be set, including ones the file leaves out.
    """
    path = Path(path) if path is not None else DEFAULT_EXPERIMENT
    experiment = validate_experiment(read_yaml(path), str(path))
    if not overrides:
        return experiment
    data = experiment.to_config()
    for assignment in overrides:
        apply_override(data, assignment)
    return validate_experiment(data, f"{path} (with --set)")
