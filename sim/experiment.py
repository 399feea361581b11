"""Experiment files: a scenario, a cadence, and how many replications to run.

:func:`load_experiment` reads a YAML file, applies ``--set`` overrides and
validates everything; any problem becomes one :class:`ConfigError` that names
the file, the field and what was expected.
"""

from __future__ import annotations

import re
from difflib import get_close_matches
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, Field, ValidationError, model_validator

from policies.base import REGISTRY, Policy
from policies.cadence import Cadence
from policies.staffing import staffing_problems
from sim.designs import Comparison, Sweep, Tuning
from sim.durations import shown
from sim.scenario import Scenario
from sim.schema import ConfigModel

DEFAULT_EXPERIMENT = Path(__file__).resolve().parent.parent / "experiments" / "baseline.yaml"


class ConfigError(ValueError):
    """Bad input: a file, a field or a flag that is not what was expected."""


_DESIGNS = ("compare", "sweep", "tune")


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
    compare: Comparison | None = Field(None, description="variants to compare with this cadence")
    sweep: Sweep | None = Field(None, description="a grid or list of points to sweep")
    tune: Tuning | None = Field(None, description="an Optuna search over cadence parameters")

    @model_validator(mode="after")
    def _cadence_fits_scenario(self) -> Experiment:
        problems = staffing_problems(self.scenario, self.policy)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def to_config(self, designs: bool = True) -> dict[str, Any]:
        """The fully resolved YAML form (every default spelled out, durations in human units).

        ``designs=False`` leaves out the compare, sweep and tune sections: the plain
        experiment that one cadence runs.
        """
        data = self.model_dump(mode="json", exclude={"policy", *_DESIGNS})
        data["policy"] = self.policy.to_config()
        for design in _DESIGNS:
            if designs and getattr(self, design) is not None:
                data[design] = getattr(self, design).model_dump(mode="json")
        return data


_NO_DATA = object()
"""Marks a place in the config data that the user did not write."""


def _unwrap(tp: Any, discriminator: str | None = None) -> tuple[Any, str | None]:
    """Strip ``Annotated`` layers, keeping the discriminator of a tagged union if any."""
    while get_origin(tp) is Annotated:
        tp, *metadata = get_args(tp)
        for meta in metadata:
            key = getattr(meta, "discriminator", None)
            if isinstance(key, str):
                discriminator = key
    return tp, discriminator


def _members(tp: Any) -> list[Any]:
    """The alternatives of a union (``None`` left out), or ``[tp]``."""
    if get_origin(tp) in (Union, UnionType):
        return [m for m in get_args(tp) if m is not type(None)]
    return [tp]


def _tags(member: Any, discriminator: str) -> list[str]:
    """The values of *discriminator* that select *member* of a tagged union."""
    fields = getattr(member, "model_fields", {})
    if discriminator not in fields:
        return []
    return [str(tag) for tag in get_args(fields[discriminator].annotation)]


def _union_of(tp: Any, discriminator: str | None) -> tuple[str, list[Any]] | None:
    """``(discriminator, members)`` when *tp* is a tagged union of models."""
    tp, discriminator = _unwrap(tp, discriminator)
    members = _members(tp)
    if len(members) == 1 and members[0] is not tp:  # Optional[Annotated[Union, ...]]
        return _union_of(members[0], discriminator)
    if discriminator and len(members) > 1:
        return discriminator, members
    return None


def _model_of(tp: Any, discriminator: str | None = None) -> type[BaseModel] | None:
    """The pydantic model *tp* stands for (through ``Annotated`` and ``Optional``), if one."""
    tp, _ = _unwrap(tp, discriminator)
    members = _members(tp)
    if len(members) == 1:
        inner, _ = _unwrap(members[0])
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            return inner
    return None


def _concrete_policy(tp: Any, data: Any, default: Any) -> Any:
    """A policy family's base class resolved to the policy the data names (``name:``)."""
    if not (isinstance(tp, type) and issubclass(tp, Policy)) or tp.name:
        return tp
    if isinstance(data, str):
        name = data
    elif isinstance(data, dict):
        name = data.get("name", getattr(default, "name", None))
    else:
        name = getattr(default, "name", None)
    if not isinstance(name, str):
        return tp
    return REGISTRY.get(tp.family, {}).get(name, tp)


class _Place:
    """Where an error's ``loc`` points: the path as the user wrote it, and the types there.

    pydantic's ``loc`` also holds the tags of tagged unions (``lognormal``) and,
    after a shorthand such as ``talk_time: 4m``, fields the user never wrote
    (``value``); both are left out of the path.
    """

    def __init__(self, root: type[BaseModel], data: Any, loc: tuple[int | str, ...]) -> None:
        path = ""
        tp: Any = root
        discriminator: str | None = None
        node: Any = data
        cut = False  # the user wrote a scalar here; deeper fields are pydantic's own
        self.parent: Any = None  # type holding the last field of loc (for unknown fields)
        for part in loc:
            if isinstance(part, str) and part.startswith(("function-", "tagged-union")):
                continue
            union = _union_of(tp, discriminator) if tp is not None else None
            if union and isinstance(part, str):
                key, members = union
                chosen = [m for m in members if part in _tags(m, key)]
                if chosen:  # a tag: same place, now a known member of the union
                    tp, discriminator = chosen[0], None
                    continue
            self.parent = tp
            tp, discriminator, field_default = self._step(tp, discriminator, part)
            child = _NO_DATA
            if isinstance(node, dict):
                child = node.get(part, _NO_DATA)
            elif isinstance(node, list | tuple) and isinstance(part, int) and part < len(node):
                child = node[part]
            elif node is not _NO_DATA:
                cut = True
            if not cut:
                path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else part)
            node = child
            tp = _concrete_policy(tp, node, field_default)
        self.path = path or "(top level)"
        self.type = tp
        self.discriminator = discriminator

    @staticmethod
    def _step(tp: Any, discriminator: str | None, part: int | str) -> tuple[Any, str | None, Any]:
        """The type (and discriminator, and field default) one ``loc`` step below *tp*."""
        if tp is None:
            return None, None, None
        model = _model_of(tp, discriminator)
        if model is not None:
            field = model.model_fields.get(part) if isinstance(part, str) else None
            if field is None:
                return None, None, None
            return field.annotation, field.discriminator, field.default
        inner, _ = _unwrap(tp, discriminator)
        members = _members(inner)
        inner = _unwrap(members[0])[0] if len(members) == 1 else inner
        if get_origin(inner) in (list, tuple) and isinstance(part, int):
            args = get_args(inner)
            if get_origin(inner) is tuple and args and args[-1] is not Ellipsis:
                return (args[part] if part < len(args) else None), None, None
            return (args[0] if args else None), None, None
        return None, None, None


def _got(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return shown(value)


def _fields(model: type[BaseModel]) -> str:
    return ", ".join(model.model_fields)


def _unknown_field(key: Any, model: type[BaseModel] | None) -> tuple[str, str | None]:
    """The message for an unknown key, and the field it probably meant."""
    if model is None:
        return "unknown field", None
    allowed = list(model.model_fields)
    close = get_close_matches(str(key), allowed, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"unknown field{hint}; expected one of: {', '.join(allowed)}", (
        close[0] if close else None
    )


def _explain(error: Any, place: _Place) -> str:
    kind = error["type"]
    got = error.get("input")
    ctx = error.get("ctx") or {}
    union = _union_of(place.type, place.discriminator) if place.type is not None else None
    model = _model_of(place.type) if place.type is not None else None
    if kind == "missing":
        return "required field is missing"
    if kind == "union_tag_invalid":
        key = str(ctx.get("discriminator", "")).strip("'")
        tags = str(ctx.get("expected_tags", "")).replace("'", "")
        return f"unknown {key} {ctx.get('tag')!r}; expected one of: {tags}"
    if kind == "union_tag_not_found":
        key = str(ctx.get("discriminator", "")).strip("'")
        tags = ", ".join(t for m in union[1] for t in _tags(m, key)) if union else ""
        return f"missing the {key!r} key; expected {key}: " + (f"one of: {tags}" if tags else "...")
    if kind in ("model_attributes_type", "model_type", "dict_type"):
        if union:
            key, members = union
            tags = ", ".join(t for m in members for t in _tags(m, key))
            return f"expected a mapping with a {key!r} key (one of: {tags}) and its fields, got {_got(got)}"
        if model is not None and issubclass(model, Policy):
            names = ", ".join(sorted(REGISTRY.get(model.family, {})))
            return f"expected a {model.family} policy name ({names}) or a mapping of its parameters, got {_got(got)}"
        if model is not None:
            return f"expected a mapping of fields ({_fields(model)}), got {_got(got)}"
        return f"expected a mapping of fields, got {_got(got)}"
    message = error["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    # Say what was found, unless the message already does; a mapping or list is only
    # worth mentioning when its type is the problem.
    mentioned = "got " in message or shown(got) in message
    if not mentioned and (not isinstance(got, dict | list | tuple) or kind.endswith("_type")):
        message += f" (got {_got(got)})"
    return message


def format_validation_error(
    error: ValidationError, source: str, root: type[BaseModel], data: Any = _NO_DATA
) -> str:
    """One readable line per problem: ``file: field.path: what was expected``.

    *data* (what was validated) makes paths follow what the user wrote and lets
    unknown policy parameters be checked against the policy the data names.
    """
    items = error.errors()
    # A typo gives two errors: the unknown key and the field it meant, now missing.
    # Report the typo once, with the suggestion, and drop the "missing" error.
    explained: dict[tuple[int | str, ...], str] = {}
    meant: set[tuple[int | str, ...]] = set()
    for item in items:
        if item["type"] == "extra_forbidden":
            loc = item["loc"]
            try:
                parent = _model_of(_Place(root, data, loc).parent)
            except Exception:  # see below
                parent = None
            message, suggestion = _unknown_field(loc[-1], parent)
            explained[loc] = message
            if suggestion is not None:
                meant.add((*loc[:-1], suggestion))
    lines = []
    for item in items:
        loc = item["loc"]
        if item["type"] == "missing" and loc in meant:
            continue
        try:
            place = _Place(root, data, loc)
            message = explained.get(loc) if item["type"] == "extra_forbidden" else None
            message = message or _explain(item, place)
            # Whole-experiment checks name their own fields in the message.
            lines.append(f"{source}: {place.path}: {message}" if loc else f"{source}: {message}")
        except Exception:  # never let the message turn bad input into an internal error
            path = ".".join(str(part) for part in loc) or "(top level)"
            lines.append(f"{source}: {path}: {item['msg']}")
    return "\n".join(dict.fromkeys(lines))


def read_yaml(path: Path) -> dict[str, Any]:
    """Read a YAML mapping, turning every failure into a :class:`ConfigError`."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found (expected an experiment YAML file)") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a folder; expected an experiment YAML file") from None
    except PermissionError:
        raise ConfigError(f"{path}: cannot read the file (permission denied)") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: cannot read the file: expected UTF-8 text, found byte 0x{exc.object[exc.start]:02x} "
            f"at offset {exc.start}"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        at = f" at line {where.line + 1}, column {where.column + 1}" if where else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{path}: malformed YAML{at}: {problem}") from None
    if data is None:
        raise ConfigError(
            f"{path}: the file is empty; expected a YAML mapping of experiment fields "
            f"({', '.join(Experiment.model_fields)})"
        )
    if not isinstance(data, dict):
        found = "a list" if isinstance(data, list) else f"{type(data).__name__} {data!r}"
        raise ConfigError(
            f"{path}: expected a YAML mapping of experiment fields "
            f"({', '.join(Experiment.model_fields)}) at the top level, found {found}"
        )
    return data


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
        value = yaml.safe_load(raw)
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


def read_experiment_data(path: Path, _seen: tuple[Path, ...] = ()) -> tuple[dict[str, Any], str]:
    """The raw config of an experiment file with its ``extends:`` chain resolved.

    ``extends: baseline.yaml`` (relative to the file) starts from that file and
    applies this file's fields on top (see :func:`merge_config`). Returns the data
    and a description of the source for error messages.
    """
    data = read_yaml(path)
    parent = data.pop("extends", None)
    if parent is None:
        return data, str(path)
    if not isinstance(parent, str):
        raise ConfigError(
            f"{path}: extends: expected the path of another experiment file, got {parent!r}"
        )
    base_path = path.parent / parent
    if not base_path.is_file():
        raise ConfigError(
            f"{path}: extends: {parent}: file not found ({base_path}); expected another experiment file"
        )
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
