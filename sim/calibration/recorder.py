"""Writing a simulated run as a CRM would have recorded it: ``python -m sim export-leads``.

:class:`CrmRecorder` is the engine :class:`~sim.engine.observers.Recorder` that keeps one row
per lead and one per lead activity; :func:`simulate_export` runs one replication with it,
and :func:`export_replication` re-simulates a replication of a finished run folder and
writes ``leads.csv`` and ``activities.csv`` in the format :mod:`sim.calibration.crm` reads,
so that ``calibrate`` can be checked on data whose truth is known.
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, TextIO

import numpy as np
import pandas as pd

from sim.calibration._files import write_files_atomically
from sim.calibration.crm import EXPORT_START
from sim.config import ConfigError
from sim.config.channels import Channels
from sim.engine.floor import SalesFloor
from sim.engine.people import Lead, Task
from sim.engine.streams import replication_seeds
from sim.experiment import load_experiment

if TYPE_CHECKING:
    from policies.cadence import Cadence
    from sim.config.scenario import Scenario


_CALL_KINDS = ("first_attempt", "follow_up")
_ACTIVITY_TYPE = {
    "first_attempt": "call",
    "follow_up": "call",
    "screen": "screen",
    "meeting": "meeting",
    "nurture": "nurture",
}
_CHANNELS = frozenset(Channels.model_fields)
"""The non-call channels (email, sms, ...): each touch is a row whose type is the channel."""
_CHANNEL_OUTCOMES = {"reached": "replied", "not_reached": "no_reply", "opted_out": "opted_out"}
"""A channel touch's outcome as a sales-engagement tool logs it (a touch put off by the
rep's daily cap, ``deferred``, was not sent and is no row)."""


class LeadRow(NamedTuple):
    """One lead as a CRM keeps it; times in engine minutes (``inf``: never happened)."""

    lead_id: int
    created_at: float
    source: int  # index into the source names; one past the last: a referred lead
    first_attempt_at: float
    attempts: int
    reached_at: float
    qualified: bool
    won: bool
    deal_value: float  # NaN unless won
    closed_at: float
    owner: int  # rep id of the first attempt; -1: never attempted
    lost_reason: str  # the engine's outcome; blank when won or still open


class ActivityRow(NamedTuple):
    """One call or touch on a lead; times in engine minutes."""

    lead_id: int
    at: float
    kind: str  # call, screen, meeting, nurture, or a channel: email, sms, ...
    outcome: str
    minutes: float
    rep: int


class CrmRecorder:
    """An engine recorder that keeps what a CRM would: one row per lead, one per lead activity.

    Pass it to :class:`~sim.engine.floor.SalesFloor` (``recorder=``); after ``simulate()``
    call :meth:`finish` with the floor (it adds the leads still open), then
    :meth:`write`. A sequence's emails and texts are rows whose type is the channel and
    whose outcome is ``replied``, ``no_reply`` or ``opted_out``. Customer retention
    touches and department referral requests are not lead activities and are left out.
    """

    def __init__(self, source_names: list[str]) -> None:
        self.source_names = source_names
        self.leads: list[LeadRow] = []
        self.activities: list[ActivityRow] = []
        self._finished = False

    def action(self, task: Task, rep_id: int, started: float, ended: float, outcome: str) -> None:
        """Keep a lead's call, screening, meeting, nurture or channel touch (the engine calls this)."""
        kind = _ACTIVITY_TYPE.get(task.kind)
        if task.kind in _CHANNELS:
            if outcome not in _CHANNEL_OUTCOMES:  # deferred: not sent
                return
            kind, outcome = task.kind, _CHANNEL_OUTCOMES[outcome]
        if kind is None:
            return
        lead = task.subject
        if task.kind in _CALL_KINDS:
            # The engine reports an opt-out on a dial as 'opted_out' whether or not the
            # dial got through; the lead's reached time tells which.
            outcome = "connected" if lead.reached_at == started else "no_answer"
        elif kind == "screen":
            outcome = "screened_out" if outcome == "screened_out" else "passed"
        self.activities.append(
            ActivityRow(lead.id, started, kind, outcome, ended - started, rep_id)
        )

    def lead_closed(self, lead: Lead, outcome: str, now: float) -> None:
        """Keep a lead closed at *now* as won or with the reason it was lost (the engine calls this)."""
        self.leads.append(self._lead_row(lead, outcome, now))

    def _lead_row(self, lead: Lead, outcome: str | None, closed: float) -> LeadRow:
        return LeadRow(
            lead.id,
            lead.arrived_at,
            lead.source,
            lead.first_attempt_at,
            lead.attempts,
            lead.reached_at,
            lead.qualified,
            outcome == "won",
            lead.value if outcome == "won" else math.nan,
            closed,
            lead.owner,
            "" if outcome in (None, "won") else outcome,
        )

    def finish(self, floor: SalesFloor) -> CrmRecorder:
        """Add the leads still open when the simulation ended (no closed_at)."""
        if not self._finished:
            for person in floor.still_active():
                if isinstance(person, Lead):
                    self.leads.append(self._lead_row(person, None, math.inf))
            self._finished = True
        return self

    def tables(self, start: str = EXPORT_START) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The two exports as data frames of text, in the documented format."""
        origin = np.datetime64(pd.Timestamp(start).tz_convert("UTC").tz_localize(None), "s")
        rows = sorted(self.leads, key=lambda row: (row.created_at, row.lead_id))
        lead = LeadRow(*zip(*rows, strict=True)) if rows else LeadRow(*[()] * len(LeadRow._fields))
        names = [*self.source_names, "referral"]
        leads = pd.DataFrame(
            {
                "lead_id": [f"L{i:07d}" for i in lead.lead_id],
                "created_at": _stamps(lead.created_at, origin),
                "source": [names[s] for s in lead.source],
                "first_attempt_at": _stamps(lead.first_attempt_at, origin),
                "attempts": list(lead.attempts),
                "reached": ["yes" if r != math.inf else "no" for r in lead.reached_at],
                "reached_at": _stamps(lead.reached_at, origin),
                "qualified": ["yes" if q else "no" for q in lead.qualified],
                "won": ["yes" if w else "no" for w in lead.won],
                "deal_value": ["" if math.isnan(v) else f"{v:.2f}" for v in lead.deal_value],
                "closed_at": _stamps(lead.closed_at, origin),
                "owner": ["" if o < 0 else f"rep_{o:03d}" for o in lead.owner],
                "lost_reason": list(lead.lost_reason),
            }
        )
        acts = sorted(self.activities, key=lambda row: (row.at, row.lead_id))
        act = (
            ActivityRow(*zip(*acts, strict=True))
            if acts
            else ActivityRow(*[()] * len(ActivityRow._fields))
        )
        activities = pd.DataFrame(
            {
                "lead_id": [f"L{i:07d}" for i in act.lead_id],
                "timestamp": _stamps(act.at, origin),
                "type": list(act.kind),
                "outcome": list(act.outcome),
                "duration_seconds": [f"{d * 60:.1f}" for d in act.minutes],
                "owner": [f"rep_{o:03d}" for o in act.rep],
            }
        )
        return leads, activities

    def write(self, folder: str | Path, start: str = EXPORT_START) -> tuple[Path, Path]:
        """Write ``leads.csv`` and ``activities.csv`` into *folder* (both or neither)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        leads, activities = self.tables(start)
        paths = (folder / "leads.csv", folder / "activities.csv")
        write_files_atomically(
            [(paths[0], _csv_writer(leads)), (paths[1], _csv_writer(activities))]
        )
        return paths


def _stamps(minutes: Iterable[float], origin: np.datetime64) -> list[str]:
    """Engine minutes -> ISO 8601 UTC text to the second ('' for never)."""
    values = np.fromiter(minutes, dtype=float)
    finite = np.isfinite(values)
    seconds = np.zeros(values.size, dtype=np.int64)
    seconds[finite] = np.round(values[finite] * 60.0).astype(np.int64)
    text = np.datetime_as_string(origin + seconds.astype("timedelta64[s]"), unit="s")
    return [
        f"{t}+00:00" if ok else "" for t, ok in zip(text.tolist(), finite.tolist(), strict=True)
    ]


def _csv_writer(table: pd.DataFrame) -> Callable[[TextIO], object]:
    """A function that writes *table* to an open file as CSV (no index, ``\\n`` line ends)."""

    def write(f: TextIO) -> object:
        return table.to_csv(f, index=False, lineterminator="\n")

    return write


def simulate_export(
    scenario: Scenario, cadence: Cadence, seed: np.random.SeedSequence
) -> CrmRecorder:
    """Simulate one replication with a :class:`CrmRecorder` attached; returns the recorder."""
    recorder = CrmRecorder([source.name for source in scenario.sources])
    floor = SalesFloor(scenario, cadence, seed, recorder=recorder)
    floor.simulate()
    return recorder.finish(floor)


def export_replication(
    run_dir: str | Path, replication: int = 0, out: str | Path | None = None
) -> tuple[Path, Path, int, int]:
    """Re-simulate replication *replication* of a finished run folder and write its CRM export.

    Returns the two paths and the numbers of leads and activities written.
    """
    folder = Path(run_dir)
    config = folder / "config.yaml"
    if not folder.is_dir() or not config.is_file():
        raise ConfigError(
            f"{folder}: not a run folder (expected the config.yaml that 'python -m sim run' writes)"
        )
    if replication < 0:
        raise ConfigError(f"--replication {replication}: expected a whole number >= 0")
    experiment = load_experiment(config)
    manifest = folder / "manifest.json"
    ran = experiment.replications
    if manifest.is_file():
        with contextlib.suppress(ValueError, TypeError, OSError):
            ran = int(json.loads(manifest.read_text(encoding="utf-8")).get("replications", ran))
    if replication >= ran:
        raise ConfigError(
            f"--replication {replication}: the run in {folder} has {ran} replication(s); "
            f"expected 0 to {ran - 1}"
        )
    seed = replication_seeds(experiment.seed, replication + 1)[replication]
    recorder = simulate_export(experiment.scenario, experiment.policy, seed)
    target = Path(out) if out is not None else folder / "crm" / f"replication-{replication}"
    leads, activities = recorder.write(target)
    return leads, activities, len(recorder.leads), len(recorder.activities)
