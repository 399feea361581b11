"""Coverage by the lead's local hour: the engine's tally against a hand count, and the table."""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from sim.analysis.local_hours import MEASURES, local_hour_counts, local_hour_table
from sim.cli import main
from sim.config.units import HOURS_PER_DAY, MINUTES_PER_HOUR
from sim.engine.floor import SalesFloor
from sim.engine.people import LOST_SCREENED_OUT, Lead
from sim.engine.tally import LOCAL_HOUR_ROWS
from sim.experiment import validate_experiment

SEED = np.random.SeedSequence(20261130)


def _zoned(tiny: dict[str, Any]) -> dict[str, Any]:
    """The tiny experiment with a third of the leads three hours behind the reps."""
    data = copy.deepcopy(tiny)
    for source in data["scenario"]["sources"]:
        source["time_zones"] = {"-3": 0.35, "0": 0.5, "2.5": 0.15}
    return data


def _hour(minutes: float) -> int:
    return int(minutes // MINUTES_PER_HOUR) % HOURS_PER_DAY


@pytest.mark.pure_python_engine
def test_the_tally_matches_a_hand_count_of_the_cohort(tiny: dict[str, Any]) -> None:
    experiment = validate_experiment(_zoned(tiny))
    floor = SalesFloor(experiment.scenario, experiment.policy, SEED)
    closed: list[tuple[Lead, str]] = []
    counted = floor.meter.lead_closed

    def keep(lead: Lead, outcome: str) -> None:
        closed.append((lead, outcome))
        counted(lead, outcome)

    floor.meter.lead_closed = keep  # type: ignore[method-assign]
    floor.simulate()

    hand = {row: [0] * HOURS_PER_DAY for row in LOCAL_HOUR_ROWS}
    delays = [0.0] * HOURS_PER_DAY
    offsets = set()
    for lead, outcome in closed:
        if outcome == LOST_SCREENED_OUT:
            continue
        offsets.add(lead.local_offset)
        arrived = _hour(lead.arrived_at + lead.local_offset)
        delay = lead.first_attempt_at - lead.arrived_at
        reached = lead.reached_at != math.inf
        hand["leads"][arrived] += 1
        hand["called_within_5m"][arrived] += delay <= 5
        hand["called_within_1h"][arrived] += delay <= 60
        if lead.first_attempt_at != math.inf:
            hand["called"][arrived] += 1
            delays[arrived] += delay
            first_call = _hour(lead.first_attempt_at + lead.local_offset)
            hand["first_calls"][first_call] += 1
            hand["first_calls_reached"][first_call] += lead.reached_at == lead.first_attempt_at
        hand["reached"][arrived] += reached

    assert len(offsets) == 3  # the leads came from three zones
    counts = local_hour_counts(floor.meter.local_hours)
    for index, row in enumerate(LOCAL_HOUR_ROWS):
        assert counts[index].tolist() == hand[row], row
    assert counts[-1] == pytest.approx(delays, rel=1e-12)
    assert sum(hand["leads"]) > 50 and sum(hand["first_calls_reached"]) > 10


def test_the_table_averages_each_replications_shares_with_a_confidence_interval() -> None:
    one, two = np.zeros((len(LOCAL_HOUR_ROWS) + 1, 24)), np.zeros((len(LOCAL_HOUR_ROWS) + 1, 24))
    # Hour 9: 4 leads (1 called within 5 min, 3 called, 30 minutes in all); then 2 leads (both).
    for counts, leads, within_5m, called, minutes in ((one, 4, 1, 3, 30.0), (two, 2, 2, 2, 4.0)):
        counts[LOCAL_HOUR_ROWS.index("leads"), 9] = leads
        counts[LOCAL_HOUR_ROWS.index("called_within_5m"), 9] = within_5m
        counts[LOCAL_HOUR_ROWS.index("called"), 9] = called
        counts[-1, 9] = minutes
    counts = two.copy()
    counts[LOCAL_HOUR_ROWS.index("leads"), 3] = 1  # hour 3: one lead in the third replication
    table = local_hour_table([one, two, counts]).set_index(["local_hour", "measure"])

    assert list(table.loc[9].index) == list(MEASURES)
    share = table.loc[(9, "called_within_5m_share")]
    assert share["n"] == 3 and share["mean"] == pytest.approx((0.25 + 1 + 1) / 3)
    assert share["ci_low"] < share["mean"] < share["ci_high"]
    assert table.loc[(9, "mean_minutes_to_first_call"), "mean"] == pytest.approx((10 + 2 + 2) / 3)
    assert table.loc[(9, "leads"), "mean"] == pytest.approx(8 / 3)
    assert table.loc[(3, "called_within_5m_share"), "n"] == 1  # hours without leads left out
    assert math.isnan(table.loc[(5, "called_within_5m_share"), "mean"])
    assert table.loc[(5, "leads"), "mean"] == 0


def _report(tiny: dict[str, Any], write_yaml: Any, tmp_path: Path, capsys: Any) -> Path:
    """Run *tiny* with its report; the report's HTML."""
    out = tmp_path / "results"
    status = main(["run", str(write_yaml(tiny)), "-n", "2", "-j", "1", "-q", "--out", str(out)])
    assert status == 0, capsys.readouterr().err
    (folder,) = (out / tiny["name"]).iterdir()
    table = pd.read_csv(folder / "local_hours.csv")
    assert set(table["measure"]) == set(MEASURES) and set(table["local_hour"]) == set(range(24))
    return folder / "report.html"


@pytest.mark.slow
def test_the_report_shows_coverage_by_local_hour_only_with_several_zones(
    tiny: dict[str, Any], write_yaml: Any, tmp_path: Path, capsys: Any
) -> None:
    title = "<h3>Coverage by the lead&#39;s local hour</h3>"
    zoned = _report(_zoned(tiny), write_yaml, tmp_path / "zoned", capsys)
    page = zoned.read_text(encoding="utf-8")
    assert title in page and "hours from the reps&#39; zone: -3, 0, +2.5" in page
    assert (zoned.parent / "figures" / "local_hours.png").is_file()
    one_zone = _report(tiny, write_yaml, tmp_path / "one", capsys)
    assert title not in one_zone.read_text(encoding="utf-8")  # the heatmap says it all
    assert not (one_zone.parent / "figures" / "local_hours.png").exists()


@pytest.mark.slow
def test_the_local_hour_figure_names_zones_given_by_name(
    tiny: dict[str, Any], write_yaml: Any, tmp_path: Path, capsys: Any
) -> None:
    """Named zones mixed with offsets (once a TypeError that left the run without a report)."""
    data = copy.deepcopy(tiny)
    data["scenario"].setdefault("calendar", {}).update(
        time_zone="America/New_York", start_date="2027-03-01"
    )
    for source in data["scenario"]["sources"]:
        source["time_zones"] = {"America/Los_Angeles": 0.4, "Europe/London": 0.4, "-3": 0.2}
    page = _report(data, write_yaml, tmp_path, capsys).read_text(encoding="utf-8")
    assert "hours from the reps&#39; zone: -3; named: America/Los_Angeles, Europe/London" in page
