"""What a calibration takes (:class:`CalibrationOptions`) and gives (:class:`Calibration`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim.calibration._arrivals import ArrivalFit
from sim.calibration._estimate import Estimate
from sim.calibration._fit import CurveFit, LognormalFit, TablePoint
from sim.calibration.crm import ActivityTable, LeadTable, ReadOptions
from sim.experiment import Experiment

FAMILIES = ("exponential", "weibull", "table")
"""Response-curve families ``--family`` accepts (``table`` writes the piecewise curve)."""
STRATA = ("none", "source", "source,owner")
"""What ``--stratify`` may give its own base chance."""


@dataclass
class CalibrationOptions:
    """Everything ``python -m sim calibrate`` takes."""

    leads: Path
    activities: Path | None = None
    base: Path | None = None
    read: ReadOptions = field(default_factory=ReadOptions)
    family: str = "exponential"
    stratify: str = "source"
    seed: int = 1
    name: str = "calibrated"


@dataclass
class Calibration:
    """The fitted parts, the calibrated experiment and what went into the report."""

    options: CalibrationOptions
    leads: LeadTable
    activities: ActivityTable | None
    base: Experiment
    sources: list[str]
    arrivals: dict[str, ArrivalFit]
    contact: CurveFit | None
    qualification: CurveFit | None
    contact_table: list[TablePoint]
    qualification_table: list[TablePoint]
    strata: dict[str, dict[str, CurveFit]]
    fit_share: dict[str, float]
    intent: dict[str, Estimate]
    reach: dict[str, Estimate]
    funnel: dict[str, dict[str, Estimate]]
    win_share: Estimate | None
    win_rate: Estimate | None
    win_rate_detail: str
    attempts_reached: np.ndarray
    max_attempts: Estimate | None
    steps: list[tuple[float, int]]
    durations: dict[str, LognormalFit]
    voicemail_share: Estimate | None
    deal_values: dict[str, LognormalFit]
    reps: Estimate | None
    warnings: list[str]
    config: dict[str, Any]
    comments: dict[tuple[Any, ...], str]
    experiment: Experiment | None = None
    yaml_text: str = ""
    seconds: float = 0.0
    delays: dict[str, np.ndarray] = field(default_factory=dict)
