"""The base of every cadence policy, and the registry that lets YAML name them.

A policy is one decision rule of the sales rhythm (how fast to call new leads,
how to order the work queue, when to follow up, ...). Each belongs to a *family*;
a cadence (see :mod:`policies.cadence`) picks one policy per family.

A policy is a frozen pydantic model: its parameters are typed fields with
defaults and documentation, validated when a YAML file is loaded (durations
typed :data:`sim.config.PositiveMinutes` read ``30m``, ``2h`` or ``1d``).
Declaring a subclass with a ``name`` registers it, so a new policy takes a few
lines. Saved as a new file ``policies/fibonacci.py``, this is complete::

    from policies import FollowUpPolicy, param
    from sim.config import PositiveMinutes


    class Fibonacci(FollowUpPolicy):
        \"\"\"Follow-up gaps that grow like the Fibonacci numbers: 1, 1, 2, 3, 5, ... units.\"\"\"

        name = "fibonacci"
        unit: PositiveMinutes = param(60.0, "length of the first gap", low=5, high=600, log=True)

        def gap_after(self, attempt: int) -> float | None:
            if attempt >= self.max_attempts:
                return None
            a, b = 1, 1
            for _ in range(attempt - 1):
                a, b = b, a + b
            return a * self.unit

and ``followup: {name: fibonacci, unit: 30m}`` under ``policy:`` in YAML selects
it. Nothing else needs editing: importing :mod:`policies` imports every module
of the package. A policy that lives in another installed distribution registers
the same way through an entry point of the group ``salespulse.policies``
(:data:`ENTRY_POINT_GROUP`), which names the module (or class) to import::

    [project.entry-points."salespulse.policies"]
    fibonacci = "my_package.fibonacci"

Each family's base class documents the method its policies implement
(``FollowUpPolicy.gap_after``, ``RetentionPolicy.gap_at``,
``ScreeningPolicy.steps``, ...).
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from sim.config._types import ConfigModel

REGISTRY: dict[str, dict[str, type[Policy]]] = {}
"""``REGISTRY[family][name]`` is the policy class YAML means by ``name``."""

ENTRY_POINT_GROUP = "salespulse.policies"
"""Entry-point group whose modules (or classes) :mod:`policies` imports to register plug-ins."""


def param(
    default: Any,
    description: str,
    *,
    low: float | None = None,
    high: float | None = None,
    log: bool = False,
    choices: list[Any] | None = None,
    **constraints: Any,
) -> Any:
    """Declare a policy parameter with its documentation and Optuna search range.

    ``low``/``high`` (with ``log`` for scale-free quantities such as durations)
    or ``choices`` make the parameter tunable; other keyword arguments are
    pydantic constraints such as ``gt=0``.
    """
    search: dict[str, Any] | None = None
    if choices is not None:
        search = {"choices": list(choices)}
    elif low is not None and high is not None:
        search = {"low": low, "high": high, "log": log}
    extra = {"search": search} if search else None
    return Field(default, description=description, json_schema_extra=extra, **constraints)


class Policy(ConfigModel):
    """A named, typed, documented decision rule of the sales rhythm."""

    family: ClassVar[str] = ""
    """The family this policy belongs to (set on the family's base class)."""
    name: ClassVar[str] = ""
    """The name YAML uses (set on each concrete policy)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__ and cls.name:
            family = REGISTRY.setdefault(cls.family, {})
            if cls.name in family and family[cls.name].__qualname__ != cls.__qualname__:
                raise TypeError(f"two {cls.family} policies are named {cls.name!r}")
            family[cls.name] = cls

    @classmethod
    def search_space(cls) -> dict[str, dict[str, Any]]:
        """The tunable parameters, keyed by name, as ``tune.parameters`` ranges.

        Each is ``{"low": ..., "high": ..., "log": ...}`` or ``{"choices": [...]}``,
        exactly what an experiment file's ``tune.parameters`` may say.
        """
        space: dict[str, dict[str, Any]] = {}
        for field_name, field in cls.model_fields.items():
            extra = field.json_schema_extra
            search = extra.get("search") if isinstance(extra, dict) else None
            if search:
                space[field_name] = dict(search)
        return space

    def describe(self) -> str:
        """One line for reports: ``followup=steps(steps=[5m, 1h], max_attempts=3)``."""
        values = self.model_dump(mode="json")
        args = ", ".join(f"{key}={value}" for key, value in values.items())
        return f"{self.family}={self.name}({args})"
