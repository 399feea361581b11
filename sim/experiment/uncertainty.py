"""Uncertain inputs: what we do not know about the team, as distributions over config fields.

An experiment file's ``uncertain:`` section names scenario (or policy) fields by
their path, as in ``--set``, each with a distribution of plausible values::

    uncertain:
      scenario.decision.pull_in_per_touch: {uniform: [0.02, 0.2]}
      scenario.screening.deep.false_negative_rate: {triangular: [0.3, 0.5, 0.7]}
      scenario.referrals.departments[0].pool_size: {lognormal: {median: 30, sd_log: 0.5}}
      scenario.response.contact.scale: {uniform: [3m, 10m]}     # durations take units
      scenario.decision.win_rate: {ci95: [0.18, 0.27], scale: logit}

``lognormal`` takes ``{median, sd_log}`` (the log's standard deviation) or
``{mean, sd}``. ``ci95: [low, high]`` is a fitted value's 95% confidence interval
(``python -m sim calibrate`` writes these): the normal distribution on the interval's
``scale`` whose central 95% is exactly ``[low, high]``. ``scale: log`` (a lognormal
matched to the interval; the default when low > 0) suits volumes, durations and money,
``logit`` suits chances (it stays between 0 and 1), ``normal`` anything that may be
negative. :meth:`UncertainInput.value_at` turns a share of the way through
the distribution (a unit-cube sample, as sensitivity designs draw them) into a
value; durations come out in minutes, which is what a bare number means in a file.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import AfterValidator, Field, model_validator
from scipy import special

from sim.config._types import ConfigModel
from sim.config.durations import parse_duration
from sim.config.units import Z_95

Amount = float | str
"""A number, or a duration such as ``'5m'`` (then the field must be a duration)."""

TAIL_SHARE = 0.005
"""An unbounded distribution is cut at this share from each end (its central 99%), so
that a design's corner points (0 and 1) stay finite."""

SECTIONS = ("scenario.", "policy.")


def _minutes(value: Amount) -> float:
    return parse_duration(value) if isinstance(value, str) else float(value)


class Lognormal(ConfigModel):
    """A positive quantity whose logarithm is normal: ``{median, sd_log}`` or ``{mean, sd}``."""

    median: Amount | None = None
    sd_log: float | None = Field(None, gt=0, description="standard deviation of the log")
    mean: Amount | None = None
    sd: Amount | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Lognormal:
        by_median = self.median is not None and self.sd_log is not None
        by_mean = self.mean is not None and self.sd is not None
        given = [
            name for name in ("median", "sd_log", "mean", "sd") if getattr(self, name) is not None
        ]
        if by_median == by_mean or len(given) != 2:
            raise ValueError(
                f"expected {{median, sd_log}} or {{mean, sd}}, got {{{', '.join(given)}}}"
            )
        centre = _minutes(self.median if by_median else self.mean)  # type: ignore[arg-type]
        if centre <= 0:
            raise ValueError(f"the {'median' if by_median else 'mean'} must be above 0")
        if by_mean and _minutes(self.sd) <= 0:  # type: ignore[arg-type]
            raise ValueError("sd must be above 0")
        return self

    def log_mean_and_sd(self) -> tuple[float, float]:
        """The mean and standard deviation of the logarithm."""
        if self.median is not None and self.sd_log is not None:
            return math.log(_minutes(self.median)), self.sd_log
        mean, sd = _minutes(self.mean), _minutes(self.sd)  # type: ignore[arg-type]
        variance = math.log1p((sd / mean) ** 2)
        return math.log(mean) - variance / 2, math.sqrt(variance)


def _to_scale(value: np.ndarray | float, scale: str) -> np.ndarray:
    value = np.asarray(value, dtype=float)
    if scale == "log":
        return np.log(value)
    if scale == "logit":
        return np.log(value / (1 - value))
    return value


def _from_scale(value: np.ndarray, scale: str) -> np.ndarray:
    if scale == "log":
        return np.exp(value)
    if scale == "logit":
        return 1 / (1 + np.exp(-value))
    return value


_KINDS = ("uniform", "triangular", "lognormal", "ci95")


class UncertainInput(ConfigModel):
    """One uncertain field's distribution: exactly one of uniform, triangular, lognormal, ci95."""

    uniform: tuple[Amount, Amount] | None = Field(None, description="[low, high]")
    triangular: tuple[Amount, Amount, Amount] | None = Field(None, description="[low, mode, high]")
    lognormal: Lognormal | None = None
    ci95: tuple[Amount, Amount] | None = Field(
        None, description="[low, high]: a fitted value's 95% confidence interval"
    )
    scale: Literal["normal", "log", "logit"] | None = Field(
        None, description="with ci95: where the interval is symmetric (default: log if low > 0)"
    )

    @model_validator(mode="after")
    def _one_distribution(self) -> UncertainInput:
        given = [name for name in _KINDS if getattr(self, name)]
        if len(given) != 1:
            raise ValueError(
                "expected exactly one distribution: uniform: [low, high], "
                "triangular: [low, mode, high], lognormal: {median, sd_log} / {mean, sd} "
                "or ci95: [low, high]" + (f"; got {', '.join(given)}" if given else "")
            )
        if self.scale is not None and self.ci95 is None:
            raise ValueError("scale: only used with ci95: [low, high]")
        if self.ci95 is not None:
            self._check_interval()
        if self.uniform is not None:
            low, high = map(_minutes, self.uniform)
            if not low < high:
                raise ValueError(f"uniform: low ({low:g}) must be below high ({high:g})")
        if self.triangular is not None:
            low, mode, high = map(_minutes, self.triangular)
            if not (low <= mode <= high and low < high):
                raise ValueError(
                    f"triangular: expected low <= mode <= high with low < high, got "
                    f"[{low:g}, {mode:g}, {high:g}]"
                )
        return self

    def _check_interval(self) -> None:
        low, high = map(_minutes, self.ci95)  # type: ignore[arg-type]
        if not low < high:
            raise ValueError(f"ci95: low ({low:g}) must be below high ({high:g})")
        scale = self.interval_scale
        if scale == "log" and low <= 0:
            raise ValueError(f"ci95 on scale log: low ({low:g}) must be above 0")
        if scale == "logit" and not (low > 0 and high < 1):
            raise ValueError(
                f"ci95 on scale logit: expected 0 < low < high < 1, got [{low:g}, {high:g}]"
            )

    @property
    def interval_scale(self) -> str:
        """A ``ci95`` interval's scale: as given, else log when low > 0, else normal."""
        if self.scale is not None:
            return self.scale
        return "log" if self.ci95 is not None and _minutes(self.ci95[0]) > 0 else "normal"

    @property
    def is_duration(self) -> bool:
        """Whether the distribution was written in durations (its values are then minutes)."""
        written = (
            self.uniform or self.triangular or self.ci95 or self.lognormal.model_dump().values()  # type: ignore[union-attr]
        )
        return any(isinstance(value, str) for value in written)

    def value_at(self, share: np.ndarray | float) -> np.ndarray:
        """The value a *share* (0 to 1) of the way through the distribution (its quantile)."""
        share = np.asarray(share, dtype=float)
        if self.uniform is not None:
            low, high = map(_minutes, self.uniform)
            return low + share * (high - low)
        if self.triangular is not None:
            low, mode, high = map(_minutes, self.triangular)
            # The triangular quantile on [0, 1] (as scipy.stats.triang), then stretched.
            c = (mode - low) / (high - low)
            unit = np.where(share < c, np.sqrt(c * share), 1 - np.sqrt((1 - c) * (1 - share)))
            return unit * (high - low) + low
        inside = np.clip(share, TAIL_SHARE, 1 - TAIL_SHARE)
        if self.ci95 is not None:
            scale = self.interval_scale
            low, high = _to_scale([_minutes(end) for end in self.ci95], scale)
            centre, sd = (low + high) / 2, (high - low) / (2 * Z_95)
            return _from_scale(centre + sd * special.ndtri(inside), scale)
        assert self.lognormal is not None
        mu, sigma = self.lognormal.log_mean_and_sd()
        return np.exp(mu + sigma * special.ndtri(inside))

    def describe(self) -> str:
        """The distribution as the file writes it, e.g. ``uniform [3m, 10m]``."""
        kind, spec = next((k, v) for k, v in self.model_dump(exclude_none=True).items())
        if isinstance(spec, dict):
            return f"{kind} " + ", ".join(f"{key} {value}" for key, value in spec.items())
        text = f"{kind} [{', '.join(map(str, spec))}]"
        return f"{text} on scale {self.interval_scale}" if self.ci95 is not None else text


def _scenario_or_policy_paths(section: dict[str, Any]) -> dict[str, Any]:
    wrong = [path for path in section if not path.startswith(SECTIONS)]
    if wrong:
        raise ValueError(
            f"{wrong[0]!r} is not a scenario or policy field; expected a path such as "
            "scenario.decision.win_rate or policy.speed_to_lead.response_target"
        )
    return section


UncertainSection = Annotated[dict[str, UncertainInput], AfterValidator(_scenario_or_policy_paths)]
"""The ``uncertain:`` section: field path -> distribution."""
