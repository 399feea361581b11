"""Building blocks shared by every configuration model, and the error bad input raises.

All configuration objects are frozen pydantic models that reject unknown keys,
so a typo in a YAML file is an error instead of a silently ignored setting.
Durations are stored as minutes and written back in human units.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer

from sim.config.durations import format_duration, parse_duration


class ConfigError(ValueError):
    """Bad input: a file, a field or a flag that is not what was expected."""


class ConfigModel(BaseModel):
    """Base of all configuration models: immutable, strict about unknown keys."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


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
