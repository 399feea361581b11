"""What a calibration takes (:class:`CalibrationOptions`) and gives (:class:`Calibration`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim.calibration._arrivals import ArrivalFit
from sim.calibration._estimate import Estimate
from sim.calibration._fit import CurveFit, LognormalFit, TablePoint
from sim.calibration._yaml import Comments
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
    """The fitted parts, the calibrated experiment and what went into the report.

    A part that is ``None`` (or missing from a dict) was not fitted: the base
    experiment's value was kept, and ``warnings`` says why.
    """

    options: CalibrationOptions
    leads: LeadTable
    activities: ActivityTable | None
    base: Experiment  # everything not fitted comes from here
    sources: list[str]  # the lead sources fitted, in the order written
    arrivals: dict[str, ArrivalFit]  # per source: weekly volume and hour-of-week profile
    contact: CurveFit | None  # the contact curve written (None: base curve kept)
    qualification: CurveFit | None
    contact_table: list[TablePoint]  # the same data as a piecewise curve
    qualification_table: list[TablePoint]
    strata: dict[str, dict[str, CurveFit]]  # per curve: pooled and stratified fits, compared
    fit_share: dict[str, float]  # per source: realistic share among leads called (from the base)
    intent: dict[str, Estimate]  # per source: chance a conversation qualifies, at zero delay
    reach: dict[str, Estimate]  # per source: chance a first attempt reaches, at zero delay
    funnel: dict[str, dict[str, Estimate]]  # "all" and per source: rate name -> share
    win_share: Estimate | None  # won share of closed qualified leads
    win_rate: Estimate | None  # decision.win_rate that reproduces it (by simulation)
    win_rate_detail: str  # how win_rate was found, for the report
    attempts_reached: np.ndarray  # reached leads by the attempt that reached them (1, 2, ...)
    max_attempts: Estimate | None
    steps: list[tuple[float, int]]  # median gap (minutes) after attempt k, and gaps seen
    durations: dict[str, LognormalFit]  # per scenario.actions field
    voicemail_share: Estimate | None
    deal_values: dict[str, LognormalFit]  # per source
    reps: Estimate | None  # distinct first-attempt owners per week
    warnings: list[str]
    config: dict[str, Any]  # the calibrated experiment as config data
    comments: Comments  # the YAML comment beside each value, by its path in config
    experiment: Experiment | None = None  # config, validated
    yaml_text: str = ""
    seconds: float = 0.0
    delays: dict[str, np.ndarray] = field(default_factory=dict)  # minutes to first attempt/reach
    channel_replies: dict[str, Estimate] = field(default_factory=dict)  # per channel: reply chance
