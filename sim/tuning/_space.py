"""The search space: which fields of an experiment a study varies, and over what ranges.

``tune.families`` contributes every tunable parameter of those policy families (their
``search_space()``); ``tune.parameters`` adds, narrows or fixes single fields by path.
Each range becomes an Optuna distribution; a bad range is refused here, before any
study is opened, with a message naming ``tune.parameters.<path>``.

*Named choices* let a study choose whole values Optuna cannot hold, such as a
sequence's steps (the channel order)::

    policy.followup.steps:
      choices:
        calls_only: [{call: 0m}, {call: 1h}, {call: 1d}]
        email_first: [{call: 0m}, {email: 10m}, {call: 1h}, {call: 1d}]

Optuna chooses among the names; :meth:`SearchSpace.settings` turns a trial's names
back into values. Every named value is checked against the experiment up front, and
the experiment's own setting must be one of them (the first trial runs it).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
    distribution_to_json,
)

from policies.base import REGISTRY
from sim.config import ConfigError
from sim.config.durations import parse_duration
from sim.experiment import Experiment, read_path, set_field, validate_experiment
from sim.experiment.designs import Tuning

_RANGE_KEYS = {"low", "high", "log", "step", "choices"}


@dataclass(frozen=True)
class SearchSpace:
    """What a study varies (Optuna distributions by field path) and what it fixes."""

    distributions: dict[str, BaseDistribution]
    fixed: dict[str, Any]
    named: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Paths with named choices: the value behind each name Optuna chooses."""

    def settings(self, params: dict[str, Any]) -> dict[str, Any]:
        """The field values a trial with these *params* runs: the fixed ones, names resolved."""
        chosen = {
            path: self.named[path][value] if path in self.named else value
            for path, value in params.items()
        }
        return {**self.fixed, **chosen}

    def fingerprint(self) -> str:
        """A stable text form, stored with the study to refuse a resumed study with another space."""
        space: dict[str, Any] = {
            name: json.loads(distribution_to_json(d))
            for name, d in sorted(self.distributions.items())
        }
        if self.named:  # a name must keep its value when a study resumes
            space["named choices"] = self.named
        return json.dumps(space, sort_keys=True)

    def size(self) -> int | None:
        """How many distinct settings the space holds, or None when a range is continuous."""
        total = 1
        for distribution in self.distributions.values():
            if isinstance(distribution, CategoricalDistribution):
                total *= len(distribution.choices)
            elif isinstance(distribution, IntDistribution):
                total *= (distribution.high - distribution.low) // distribution.step + 1
            elif isinstance(distribution, FloatDistribution) and distribution.step is not None:
                total *= round((distribution.high - distribution.low) / distribution.step) + 1
            else:
                return None
        return total


def tuning_section(experiment: Experiment) -> Tuning:
    """The experiment's ``tune:`` section; a clear error when it has none."""
    if experiment.tune is None:
        raise ConfigError("no tune: section; expected objectives and the parameters to search")
    return experiment.tune


def _number(value: Any, where: str) -> float:
    """A finite number, or a duration written in human units (in minutes)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ConfigError(f"{where}: expected a number or a duration, got {value!r}")
    if isinstance(value, str):
        try:
            value = parse_duration(value)
        except ValueError as exc:
            raise ConfigError(f"{where}: {exc}") from None
    if not math.isfinite(value):
        raise ConfigError(f"{where}: expected a finite number, got {value!r}")
    return value


def _step(spec: dict[str, Any], where: str, log: bool, integer: bool) -> float | None:
    """The range's step: positive, whole for a count, never with ``log``."""
    if "step" not in spec or spec["step"] is None:
        return None
    if log:
        raise ConfigError(f"{where}.step: a log range cannot have a step; drop one of the two")
    step = _number(spec["step"], f"{where}.step")
    if step <= 0:
        raise ConfigError(f"{where}.step: expected a step > 0, got {spec['step']!r}")
    if integer and step != int(step):
        raise ConfigError(f"{where}.step: expected a whole-number step for a count, got {step!r}")
    return step


def _divides(low: float, high: float, step: float) -> bool:
    try:
        return (Decimal(str(high)) - Decimal(str(low))) % Decimal(str(step)) == 0
    except InvalidOperation:
        return False


def _distribution(path: str, spec: dict[str, Any], current: Any) -> BaseDistribution:
    """One ``tune.parameters`` entry as an Optuna distribution, or a ConfigError naming it."""
    where = f"tune.parameters.{path}"
    unknown = set(spec) - _RANGE_KEYS
    if unknown:
        raise ConfigError(
            f"{where}: unknown key(s) {', '.join(sorted(map(str, unknown)))}; "
            "expected low/high (with optional log, step) or choices"
        )
    if "choices" in spec:
        choices = spec["choices"]
        if not isinstance(choices, list) or not choices:
            raise ConfigError(f"{where}.choices: expected a non-empty list")
        if not all(c is None or isinstance(c, bool | int | float | str) for c in choices):
            raise ConfigError(f"{where}.choices: expected plain values (numbers, text, true/false)")
        return CategoricalDistribution(choices)
    if "low" not in spec or "high" not in spec:
        raise ConfigError(f"{where}: expected low and high (or choices)")
    low, high = _number(spec["low"], f"{where}.low"), _number(spec["high"], f"{where}.high")
    if low > high:
        raise ConfigError(f"{where}: low ({spec['low']}) is above high ({spec['high']})")
    log = spec.get("log", False)
    if not isinstance(log, bool):
        raise ConfigError(f"{where}.log: expected true or false, got {log!r}")
    if log and low <= 0:
        raise ConfigError(f"{where}: a log range needs low > 0, got {spec['low']}")
    integer = isinstance(current, int) and not isinstance(current, bool)
    step = _step(spec, where, log, integer)
    if step is not None and not _divides(low, high, step):
        raise ConfigError(
            f"{where}: high - low ({high - low:g}) is not a multiple of step ({step:g})"
        )
    if integer:
        if low != int(low) or high != int(high):
            raise ConfigError(f"{where}: expected whole-number bounds for a count")
        return IntDistribution(int(low), int(high), log=log, step=int(step or 1))
    return FloatDistribution(low, high, log=log, step=step)


def _named_choices(
    experiment: Experiment, path: str, spec: dict[str, Any], current: Any
) -> tuple[CategoricalDistribution, dict[str, Any]]:
    """``{choices: {name: value, ...}}``: Optuna chooses a name; each value checked up front.

    The values are kept as the experiment's own configuration writes them, so the
    experiment's setting is recognised among them (it must be there: the baseline trial).
    """
    where = f"tune.parameters.{path}"
    if set(spec) != {"choices"}:
        raise ConfigError(
            f"{where}: named choices take no other key, got "
            f"{', '.join(sorted(map(str, set(spec) - {'choices'})))}"
        )
    choices = spec["choices"]
    if not choices:
        raise ConfigError(f"{where}.choices: expected at least one name: value")
    named: dict[str, Any] = {}
    for name, value in choices.items():
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(f"{where}.choices: expected names as text, got {name!r}")
        tried = experiment_with(experiment, {path: value}, f"{where}.choices.{name}")
        named[name] = read_path(tried.to_config(designs=False), path)
    if current not in named.values():
        raise ConfigError(
            f"{where}.choices: expected the experiment's own setting among the choices (the "
            f"first trial runs today's cadence); add it under a name, e.g. today: {current}"
        )
    return CategoricalDistribution(list(named)), named


def _refuse_overlaps(space: SearchSpace) -> None:
    """A field inside one chosen by name cannot be tuned or fixed as well."""
    for outer in space.named:
        for path in [*space.distributions, *space.fixed]:
            if path != outer and path.startswith((f"{outer}.", f"{outer}[")):
                raise ConfigError(
                    f"tune.parameters.{path}: it lies inside {outer}, which is chosen by "
                    "name; tune the whole value or its parts, not both"
                )


def search_space(experiment: Experiment) -> SearchSpace:
    """The study's parameters: whole policy families plus the file's own additions and limits."""
    tuning = tuning_section(experiment)
    config = experiment.to_config(designs=False)
    distributions: dict[str, BaseDistribution] = {}
    for family in tuning.families:
        if family not in REGISTRY:
            raise ConfigError(
                f"tune.families: unknown policy family {family!r}; expected one of: {', '.join(REGISTRY)}"
            )
        policy = getattr(experiment.policy, family)
        for name, spec in type(policy).search_space().items():
            path = f"policy.{family}.{name}"
            distributions[path] = _distribution(path, spec, read_path(config, path))
    fixed: dict[str, Any] = {}
    named: dict[str, dict[str, Any]] = {}
    for path, spec in tuning.parameters.items():
        try:
            current = read_path(config, path)
        except (KeyError, IndexError, TypeError, ValueError):
            raise ConfigError(f"tune.parameters.{path}: no such field in the experiment") from None
        if isinstance(spec, dict) and isinstance(spec.get("choices"), dict):
            distributions[path], named[path] = _named_choices(experiment, path, spec, current)
        elif isinstance(spec, dict):
            distributions[path] = _distribution(path, spec, current)
        else:
            distributions.pop(path, None)
            fixed[path] = spec
    if not distributions:
        raise ConfigError("tune: nothing to tune; list policy families or parameters with ranges")
    space = SearchSpace(distributions, fixed, named)
    _refuse_overlaps(space)
    return space


def checked_search_space(experiment: Experiment, source: str = "<experiment>") -> SearchSpace:
    """:func:`search_space`, a bad ``tune:`` entry reported with the experiment file *source*."""
    try:
        return search_space(experiment)
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None


def experiment_with(experiment: Experiment, values: dict[str, Any], where: str) -> Experiment:
    """*experiment* (without its designs) with the fields at the given paths set to *values*."""
    data = experiment.to_config(designs=False)
    for path, value in values.items():
        set_field(data, path, value, f"{where}: {path}")
    return validate_experiment(data, where)


def baseline_values(experiment: Experiment, space: SearchSpace) -> dict[str, Any]:
    """The experiment's own settings of the tuned parameters (durations in minutes)."""
    config = experiment.to_config(designs=False)
    values = {}
    for path, distribution in space.distributions.items():
        value = read_path(config, path)
        if path in space.named:  # the name of the experiment's own setting (there is one)
            value = next(name for name, v in space.named[path].items() if v == value)
        if isinstance(distribution, FloatDistribution) and isinstance(value, str):
            value = parse_duration(value)
        values[path] = value
    return values
