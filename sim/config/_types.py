"""Building blocks shared by every configuration model, and the error bad input raises.

All configuration objects are frozen pydantic models that reject unknown keys,
so a typo in a YAML file is an error instead of a silently ignored setting.
Durations are stored as minutes and written back in human units.
"""

from __future__ import annotations

from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    model_validator,
)

from sim.config.durations import format_duration, parse_duration


class ConfigError(ValueError):
    """Bad input: a file, a field or a flag that is not what was expected."""


def _is_number(annotation: Any) -> bool:
    """Whether a field holds a plain number (``int``/``float``, optional or annotated)."""
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    if get_origin(annotation) in (Union, UnionType):
        members = [m for m in get_args(annotation) if m is not type(None)]
        return len(members) == 1 and _is_number(members[0])
    return annotation in (int, float)


class ConfigModel(BaseModel):
    """Base of all configuration models: immutable, strict about unknown keys.

    Numbers must be finite (``.inf`` and ``.nan`` are refused) and ``true``/``false``
    is not a number: pydantic would otherwise read ``seed: true`` as 1.
    """

    model_config = ConfigDict(
        extra="forbid", frozen=True, validate_default=True, allow_inf_nan=False
    )

    @model_validator(mode="before")
    @classmethod
    def _no_bool_for_number(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not any(isinstance(v, bool) for v in data.values()):
            return data
        return {
            key: _Boolean(value)
            if isinstance(value, bool)
            and key in cls.model_fields
            and _is_number(cls.model_fields[key].annotation)
            else value
            for key, value in data.items()
        }


class _Boolean:
    """A ``true``/``false`` where a number belongs: fails number validation, shown as written."""

    def __init__(self, value: bool) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "true" if self.value else "false"


def _to_minutes(value: object) -> float:
    return parse_duration(value)  # type: ignore[arg-type]


_duration_io = (
    BeforeValidator(_to_minutes),
    PlainSerializer(format_duration, return_type=str, when_used="json"),
)

Minutes = Annotated[float, *_duration_io, Field(ge=0)]
"""A duration in minutes; YAML may say ``90s``, ``5m``, ``2h``, ``3d`` or ``1w``."""

PositiveMinutes = Annotated[float, *_duration_io, Field(gt=0)]
"""A strictly positive duration in minutes."""

Probability = Annotated[float, Field(ge=0, le=1)]
"""A probability or share, between 0 and 1."""
