"""Reading experiment files: YAML, ``extends:``, ``--set`` overrides and validation.

:func:`load_experiment` reads a YAML file, applies ``--set`` overrides and
validates everything; any problem becomes one :class:`~sim.config.ConfigError`
that names the file, the field and what was expected.
"""

from __future__ import annotations

import re
from difflib import get_close_matches
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from policies.cadence import Cadence
from sim.config import ConfigError
from sim.experiment._errors import describe_value, format_validation_error
from sim.experiment._yaml import RefusedYAML, parse_yaml, read_yaml, yaml_error
from sim.experiment.model import DEFAULT_EXPERIMENT, Experiment

_INDEX = re.compile(r"\[(\d+)\]")


def _dotted(keys: list[str | int]) -> str:
    """``['scenario', 'reps', 0, 'count']`` -> ``'scenario.reps[0].count'``."""
    text = ""
    for key in keys:
        text += f"[{key}]" if isinstance(key, int) else (f".{key}" if text else key)
    return text or "(top level)"


OPEN_MAPPINGS = frozenset({"counts", "weights"})
"""Fields that map names the user chooses (rep groups) to values: ``--set`` may add keys."""


def apply_override(data: dict[str, Any], assignment: str, source: str | None = None) -> None:
    """Apply ``path.to.field=value`` (value read as YAML) to an already resolved config.

    *source* (the file being overridden) is named in error messages.
    """
    where = f"{source}: " if source else ""
    path, sep, raw = assignment.partition("=")
    if not sep or not path.strip():
        raise ConfigError(f"{where}--set {assignment!r}: expected path.to.field=value")
    try:
        value = parse_yaml(raw)
    except RefusedYAML as exc:
        raise yaml_error(f"{where}--set {path.strip()}", exc) from None
    except yaml.YAMLError:
        value = raw
    set_field(data, path, value, f"{where}--set {path.strip()}")


def set_field(data: dict[str, Any], path: str, value: Any, flag: str) -> None:
    """Set the field at *path* (``a.b[0].c``) of a resolved config to *value*.

    *flag* starts every error message (it says where the path came from).
    """
    keys: list[str | int] = [
        int(part) if part.isdigit() else part.strip()
        for part in _INDEX.sub(r".\1", path.strip()).split(".")
    ]
    node: Any = data
    for depth, key in enumerate(keys):
        parent = _dotted(keys[:depth])
        if isinstance(node, dict):
            open_mapping = depth == len(keys) - 1 and depth > 0 and keys[depth - 1] in OPEN_MAPPINGS
            if key not in node and not open_mapping:
                close = get_close_matches(str(key), [str(k) for k in node], n=1, cutoff=0.6)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise ConfigError(
                    f"{flag}: {parent} has no field {key!r}{hint}; "
                    f"expected one of: {', '.join(map(str, node))}"
                )
        elif isinstance(node, list):
            if not isinstance(key, int):
                raise ConfigError(
                    f"{flag}: {parent} is a list; expected an index such as {parent}[0], "
                    f"got {key!r}"
                )
            if key >= len(node):
                raise ConfigError(
                    f"{flag}: {parent} has {len(node)} item(s); expected an index from 0 to "
                    f"{len(node) - 1}, got {key}"
                )
        else:
            raise ConfigError(
                f"{flag}: {parent} is a single value ({node!r}), not a group of fields; "
                f"no field {key!r} inside it"
            )
        if depth == len(keys) - 1:
            node[key] = value
        else:
            node = node[key]


def validate_experiment(data: dict[str, Any], source: str = "<experiment>") -> Experiment:
    """Validate raw config data into an :class:`Experiment`, or raise :class:`ConfigError`."""
    try:
        return Experiment.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, source, Experiment, data)) from None


def merge_config(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """*base* with *changes* applied: mappings merge key by key, anything else is replaced.

    Under ``policy``, a family whose policy changes name (explicitly, or against the
    family's default when the base leaves it implicit) is replaced whole, since two
    policies' parameters differ; a family given by name only keeps that name.
    """
    merged = dict(base)
    for key, value in changes.items():
        old = merged.get(key)
        if key == "policy" and isinstance(old, dict) and isinstance(value, dict):
            merged[key] = _merge_policies(old, value)
        elif isinstance(old, dict) and isinstance(value, dict):
            merged[key] = merge_config(old, value)
        else:
            merged[key] = value
    return merged


def _merge_policies(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for family, value in changes.items():
        old = (
            {"name": merged[family]} if isinstance(merged.get(family), str) else merged.get(family)
        )
        new = {"name": value} if isinstance(value, str) else value
        field = Cadence.model_fields.get(family)
        if not (isinstance(old, dict) and isinstance(new, dict)) or field is None:
            merged[family] = value
            continue
        default = field.default.name
        old_name = old.get("name", default)
        if new.get("name", old_name) != old_name:
            merged[family] = new
        else:
            merged[family] = {**merge_config(old, new), "name": old_name}
    return merged


SHIPPED_EXPERIMENTS = DEFAULT_EXPERIMENT.parent
"""The ``experiments/`` folder shipped with salespulse: ``extends:`` may name its files."""

YAML_SUFFIXES = (".yaml", ".yml")


def _within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def extends_target(path: Path, parent: str) -> Path:
    """The file that ``extends: parent`` in *path* names, or a :class:`ConfigError`.

    *parent* is relative to *path*'s folder; a name not found there is looked up among
    the shipped experiments (``extends: baseline.yaml`` works from any folder). Only a
    ``.yaml``/``.yml`` file inside *path*'s folder tree or the shipped experiments
    folder is read, so an experiment file cannot make salespulse read other files.
    """
    where = f"{path}: extends: {parent}"
    if not parent.lower().endswith(YAML_SUFFIXES):
        raise ConfigError(
            f"{where}: expected the path of another experiment file ending in .yaml or .yml"
        )
    local = path.parent / parent
    candidates = [local] if local.is_file() else [local, SHIPPED_EXPERIMENTS / parent]
    target = next((c for c in candidates if c.is_file()), None)
    if target is None:
        looked = " or ".join(str(c) for c in candidates)
        raise ConfigError(f"{where}: file not found ({looked}); expected another experiment file")
    resolved = target.resolve()
    roots = (path.parent.resolve(), SHIPPED_EXPERIMENTS)
    if not resolved.name.lower().endswith(YAML_SUFFIXES) or not any(
        _within(resolved, root) for root in roots
    ):
        raise ConfigError(
            f"{where}: outside the folders an experiment may extend from; expected a .yaml file "
            f"in {roots[0]} (or below it) or in {SHIPPED_EXPERIMENTS}"
        )
    return target


def read_experiment_data(path: Path, _seen: tuple[Path, ...] = ()) -> tuple[dict[str, Any], str]:
    """The raw config of an experiment file with its ``extends:`` chain resolved.

    ``extends: baseline.yaml`` starts from that file (see :func:`extends_target`) and
    applies this file's fields on top (see :func:`merge_config`). Returns the data
    and a description of the source for error messages.
    """
    data = read_yaml(path, show_values=not _seen)
    parent = data.pop("extends", None)
    if parent is None:
        return data, str(path)
    if not isinstance(parent, str):
        raise ConfigError(
            f"{path}: extends: expected the path of another experiment file, got {describe_value(parent)}"
        )
    base_path = extends_target(path, parent)
    if base_path.resolve() in _seen or base_path.resolve() == path.resolve():
        raise ConfigError(f"{path}: extends: {parent} leads back to this file (a cycle)")
    base, base_source = read_experiment_data(base_path, (*_seen, path.resolve()))
    return merge_config(base, data), f"{path} (extends {base_source})"


def load_experiment(
    path: str | Path | None = None, overrides: list[str] | tuple[str, ...] = ()
) -> Experiment:
    """Load and validate an experiment file (default: ``experiments/baseline.yaml``).

    The file may start from another with ``extends: other.yaml``. *overrides*
    are ``path.to.field=value`` strings applied after defaults are filled in,
    so any field can be set, including ones the file leaves out.
    """
    path = Path(path) if path is not None else DEFAULT_EXPERIMENT
    data, source = read_experiment_data(path)
    experiment = validate_experiment(data, source)
    if not overrides:
        return experiment
    data = experiment.to_config()
    for assignment in overrides:
        apply_override(data, assignment, str(path))
    return validate_experiment(data, f"{path} (with --set)")
