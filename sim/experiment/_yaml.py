"""Reading YAML safely: bounded nesting and aliases, no repeated keys, no devices or huge files.

Every YAML file salespulse reads (experiment files, ``extends:`` targets, ``--set``
values, a sweep's saved config) goes through :func:`parse_yaml`; a failure becomes one
:class:`~sim.config.ConfigError` naming the file, the line and the problem.
"""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import yaml

from sim.config import ConfigError, shown
from sim.experiment.model import Experiment

MAX_DEPTH = 50
"""Deepest nesting of lists and mappings a YAML file may have (experiments need about 8)."""

MAX_ALIASED_VALUES = 10_000
"""Most values that ``*alias`` references may add to a YAML file once expanded.

Anchors and aliases (``&shift`` ... ``*shift``) are handy for repeated settings, but
a few hundred bytes of nested aliases can expand to billions of values ("billion
laughs"); such a file is refused before anything reads it.
"""


class RefusedYAML(yaml.MarkedYAMLError):
    """YAML that is well-formed but refused: too deep, too many aliases, a repeated key."""


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader with bounds on nesting and alias expansion, and no repeated keys."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._values = 0  # values composed so far, aliases counted at their expanded size
        self._aliased = 0  # values added by aliases
        self._anchor_values: dict[str, int] = {}

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            size = self._anchor_values.get(event.anchor, 1)
            self._values += size
            self._aliased += size
            if self._aliased > MAX_ALIASED_VALUES:
                raise RefusedYAML(
                    problem=f"aliases expand to more than {MAX_ALIASED_VALUES:,} values "
                    f"(at *{event.anchor}); expected a file that repeats little",
                    problem_mark=event.start_mark,
                )
            return super().compose_node(parent, index)
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise RefusedYAML(
                problem=f"nested more than {MAX_DEPTH} levels deep; expected an experiment's "
                "mappings and lists",
                problem_mark=event.start_mark,
            )
        before = self._values
        node = super().compose_node(parent, index)
        self._values += 1
        if event.anchor is not None:
            self._anchor_values[event.anchor] = self._values - before
        self._depth -= 1
        return node

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        first_line: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                first = first_line.get(key)
            except TypeError:  # an unhashable key: PyYAML names it below
                continue
            if first is not None:
                lines = f"line {line}" if first == line else f"lines {first} and {line}"
                raise RefusedYAML(
                    problem=f"the key {shown(key)} appears twice ({lines}); expected each key once",
                    problem_mark=key_node.start_mark,
                )
            first_line[key] = line
        return super().construct_mapping(node, deep=deep)


def parse_yaml(text: str) -> Any:
    """Parse YAML text with bounds: see :data:`MAX_DEPTH` and :data:`MAX_ALIASED_VALUES`.

    Raises ``yaml.YAMLError`` (with a line and column) for malformed or refused YAML,
    including a key repeated in one mapping.
    """
    loader = _BoundedLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def yaml_error(source: str, exc: yaml.YAMLError) -> ConfigError:
    """The :class:`ConfigError` for YAML that could not be read: where, and what."""
    where = getattr(exc, "problem_mark", None)
    at = f" at line {where.line + 1}, column {where.column + 1}" if where else ""
    if isinstance(exc, yaml.reader.ReaderError):  # a character YAML does not allow
        at = f" at offset {exc.position}"
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    kind = "refused YAML" if isinstance(exc, RefusedYAML) else "malformed YAML"
    return ConfigError(f"{source}: {kind}{at}: {problem}")


MAX_FILE_BYTES = 10_000_000
"""Largest experiment file read (a calibrated one is some 100 kB)."""


def _read_text(path: Path) -> str:
    """The text of a regular file of at most :data:`MAX_FILE_BYTES` (never a device or a pipe)."""
    status = path.stat()
    if stat.S_ISDIR(status.st_mode):
        raise IsADirectoryError(path)
    if not stat.S_ISREG(status.st_mode):
        raise ConfigError(f"{path}: not a regular file; expected an experiment YAML file")
    if status.st_size > MAX_FILE_BYTES:
        raise ConfigError(
            f"{path}: {status.st_size:,} bytes; expected an experiment YAML file of at most "
            f"{MAX_FILE_BYTES:,} bytes"
        )
    return path.read_text(encoding="utf-8")


def read_yaml(path: Path, *, show_values: bool = True) -> dict[str, Any]:
    """Read a YAML mapping, turning every failure into a :class:`ConfigError`.

    ``show_values=False`` keeps the file's content out of the messages (for files
    the user did not name, such as an ``extends:`` target).
    """
    try:
        text = _read_text(path)
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
        data = parse_yaml(text)
    except yaml.YAMLError as exc:
        raise yaml_error(str(path), exc) from None
    if data is None:
        raise ConfigError(
            f"{path}: the file is empty; expected a YAML mapping of experiment fields "
            f"({', '.join(Experiment.model_fields)})"
        )
    if not isinstance(data, dict):
        if isinstance(data, list):
            found = "a list"
        else:
            found = f"{type(data).__name__} {shown(data)}" if show_values else "a single value"
        raise ConfigError(
            f"{path}: expected a YAML mapping of experiment fields "
            f"({', '.join(Experiment.model_fields)}) at the top level, found {found}"
        )
    return data
