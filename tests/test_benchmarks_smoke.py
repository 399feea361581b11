"""Smoke tests of the benchmarks: the baseline loops simulate M/M/c+M, the report's parts run.

The full benchmark (``python -m benchmarks.engine``) is too slow for the test suite; these
tests run each M/M/c+M baseline on a few thousand customers and call the benchmark's
building blocks on tiny inputs.
"""

from __future__ import annotations

import json
import time

import pytest

from benchmarks import cli_run, engine, versus, volume
from benchmarks.common import (
    BENCHMARK_MODEL,
    Simulator,
    best_of,
    binomial_sd,
    queue_result,
    table,
)
from benchmarks.mmc_callbacks import simulate_mmc_callbacks
from benchmarks.mmc_heapq import simulate_mmc_heapq
from benchmarks.mmc_simpy_process import simulate_mmc_simpy_process
from benchmarks.replication import (
    ReplicationMeasurement,
    measure_in_fresh_process,
    replication_report,
)
from sim.engine import kernel

CUSTOMERS = 5_000
SEED = 20240601

# Tolerance derivation. With n = CUSTOMERS independent arrivals the abandonment estimate
# would be binomial, standard error sqrt(p (1 - p) / n) = 0.0035 for p = 0.067. Queue
# outcomes are positively autocorrelated, which inflates it: over 1,000 independent
# replications of exactly this set-up (5,000 customers, seeds 5000-5999, mmc_heapq; 300
# replications of mmc_simpy_process agreed) the observed sd was 2.06 times the binomial
# one, rounded up here to 2.5 to cover that estimate's own error. The empty start biases the
# estimate by -0.0004 (a twentieth of an sd), negligible. Z = 4 makes a correct simulator
# fail one of the three checks with probability about 2e-4 whatever its seed, so the
# tolerance is 4 * 2.5 * 0.0035 = 0.035: generous, yet a loop that never abandons (0) or
# abandons every customer who waits (about 0.47) still fails by far.
Z = 4.0
INFLATION = 2.5


@pytest.mark.parametrize(
    "simulator",
    [simulate_mmc_heapq, simulate_mmc_callbacks, simulate_mmc_simpy_process],
    ids=["heapq", "callbacks", "simpy_process"],
)
def test_baseline_matches_erlang_a(simulator: Simulator) -> None:
    result = BENCHMARK_MODEL.simulate(simulator, CUSTOMERS, SEED)
    assert result["arrived"] == CUSTOMERS
    assert result["served"] + result["abandoned"] == CUSTOMERS
    assert result["abandoned"] <= result["waited"]
    p = BENCHMARK_MODEL.theory().abandon_probability
    tolerance = Z * INFLATION * binomial_sd(p, CUSTOMERS)
    assert abs(result["abandon_probability"] - p) < tolerance, (result, p, tolerance)


def test_generic_loop_follows_the_specialised_one() -> None:
    # Both draw arrival, service and patience times from one stream in the same order, so
    # lazy deletion (mmc_heapq) and a patience-end event (mmc_callbacks) give the same path.
    a = simulate_mmc_heapq(9.0, 1.0, 10, 0.5, 2_000, 3)
    b = simulate_mmc_callbacks(9.0, 1.0, 10, 0.5, 2_000, 3)
    assert {k: v for k, v in a.items() if k != "events"} == pytest.approx(
        {k: v for k, v in b.items() if k != "events"}
    )
    assert b["events"] == a["events"] + b["waited"]  # plus one patience end per waiter


def test_queue_result_and_best_of() -> None:
    record = queue_result(arrived=4, served=3, abandoned=1, waited=2, total_wait=2.0, events=9)
    assert record["abandon_probability"] == 0.25
    assert record["wait_probability"] == 0.5
    assert record["mean_wait_minutes"] == 0.5
    seconds, value = best_of(lambda: 42, 2)
    assert value == 42 and seconds >= 0


def test_table_aligns_columns() -> None:
    lines = table(["name", "value"], [["a", "1"], ["long name", "12345"]]).splitlines()
    assert len(lines) == 4
    assert len({len(line) for line in lines}) == 1  # every line equally wide


def test_mmc_section_on_tiny_runs() -> None:
    timings = [engine.time_variant(variant, BENCHMARK_MODEL, 500, 1) for variant in engine.VARIANTS]
    engine_result = timings[2].result
    assert engine_result["arrived"] > 0 and engine_result["events"] > engine_result["arrived"]
    assert 0.0 <= engine_result["abandon_probability"] <= 1.0
    report = engine.mmc_report(timings, BENCHMARK_MODEL, 1)
    assert "engine / a" in report and "Erlang A" in report


def test_queue_volume_section_on_tiny_runs() -> None:
    report = engine.queue_volume_report(500, 1, 2)
    rows = [line.split() for line in report.splitlines() if line.lstrip()[:2] in ("a ", "c ")]
    assert [row[0] for row in rows] == ["a", "c"]  # the bare loop and the engine, 1x and 2x
    assert all(float(row[-1]) > 0 for row in rows)  # a growth ratio for each


def test_volume_gives_every_scale_the_same_share_of_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    runs: list[tuple[int, bool]] = []

    def fake_measure(experiment: object, scale: int, simpy_clock: bool) -> volume.VolumeRun:
        runs.append((scale, simpy_clock))
        # Each run a little slower than the one before: CPU seconds 1.01, 1.02, ...
        cpu_seconds = scale * (1.0 + 0.01 * len(runs))
        return volume.VolumeRun(
            "SimPy" if simpy_clock else "lean", scale, 100 * scale, cpu_seconds, 0
        )

    monkeypatch.setattr(volume, "scaled_experiment", lambda scale: None)
    monkeypatch.setattr(volume, "measure", fake_measure)
    report = volume.run_volume((1, 2, 4), repeats=2)
    for clock in (False, True):
        assert [scale for scale, simpy in runs if simpy == clock].count(1) == 2 * 4
        assert [scale for scale, simpy in runs if simpy == clock].count(4) == 2 * 1
    # Lean runs: round 1 is runs 1-4 at 1x, 5-6 at 2x, 7 at 4x; round 2 (after SimPy's
    # seven) is runs 15-18, 19-20, 21. Best: 1.01 at 1x, 1.07 at 4x (per 100 events);
    # all runs: 1x (1.01+...+1.04 + 1.15+...+1.18) / 8 = 1.095, 4x (1.07 + 1.21) / 2 = 1.14.
    assert "lean: CPU per event 4x / 1x = 1.06 (best runs), 1.04 (all runs, equal work)" in report


def test_one_replication_and_its_report(capsys: pytest.CaptureFixture[str]) -> None:
    assert engine.main(["--one-replication", "1", "--repeats", "1"]) == 0
    measurement = ReplicationMeasurement(**json.loads(capsys.readouterr().out))
    assert measurement.horizon_weeks == 1
    assert measurement.events > measurement.leads > 0
    assert measurement.seconds > 0 and measurement.traced_peak_bytes > 0
    doubled = ReplicationMeasurement(
        **{**vars(measurement), "horizon_weeks": 2, "seconds": 2 * measurement.seconds}
    )
    report = replication_report([measurement, doubled], 1)
    assert "2H / H" in report
    assert f"Engine: {kernel()}." in report  # which engine was measured: compiled or not


def test_fresh_process_measures_its_own_memory() -> None:
    # The child is forked from a fork server, so its maxrss starts from its own imports,
    # not from this (larger) test process, and the replication's growth shows.
    measurement = measure_in_fresh_process(1, 1)
    assert measurement.events > measurement.leads > 0
    assert measurement.rss_growth_bytes > 0
    assert measurement.active_leads >= 0


def test_cli_run_estimates_the_idle_wall_time_from_cpu_time() -> None:
    parts = [
        cli_run.Part("start-up", wall=3.0, cpu=1.5, children_cpu=0.0, idle_estimate=1.5),
        cli_run.Part("replications", wall=20.0, cpu=0.1, children_cpu=20.0, idle_estimate=10.1),
    ]
    text = cli_run.parts_report(parts)
    assert "23.00" in text  # measured wall, summed
    assert "Estimated wall time on an idle machine: 11.6 s, within" in text
    slow = [*parts, cli_run.Part("report", wall=9.0, cpu=4.0, children_cpu=1.0, idle_estimate=4.0)]
    assert "15.6 s, over" in cli_run.parts_report(slow)


def test_cli_run_stopwatch_splits_cpu_between_parts() -> None:
    watch = cli_run._Stopwatch(time.perf_counter())
    watch.lap("everything so far")
    sum(range(200_000))
    watch.lap("a loop", workers=2)
    first, loop = watch.parts
    assert first.cpu > loop.cpu > 0  # the first part counts from the start of the process
    assert loop.children_cpu == 0 and loop.idle_estimate == loop.cpu  # no children ran


def test_versus_reports_medians_and_the_rounds_paired() -> None:
    this = [versus.Round(1.0, 1.05, 1.20, "compiled"), versus.Round(1.1, 1.3, 1.30, "compiled")]
    this.append(versus.Round(0.9, 1.0, 1.25, "compiled"))
    other = [versus.Round(1.0, 1.0, 1.30, "compiled"), versus.Round(1.0, 1.0, 1.20, "compiled")]
    other.append(versus.Round(1.0, 1.0, 1.40, "compiled"))
    text = versus.versus_report(["this", "other"], [this, other], 8)
    assert "1.250 (1.225-1.275)" in text  # this tree's 8x: median and quartiles
    assert "1.300 (1.250-1.350)" in text  # the other's
    # this tree's 8x / 1x: 1.20/1.0, 1.30/1.1, 1.25/0.9 of the best 1x runs; 1.20/1.05,
    # 1.30/1.3, 1.25/1.0 of all of them
    assert "1.200 (1.191-1.294)  1.143 (1.071-1.196)" in text
    # round by round: 1.20/1.30, 1.30/1.20, 1.25/1.40 -> median 0.923, lower in 2 of 3
    assert "median 0.923, this lower in 2 of 3 rounds" in text
    assert "different engines" not in text
    mixed = [*other[:2], versus.Round(1.0, 1.0, 1.4, "pure Python")]
    assert "different engines" in versus.versus_report(["this", "other"], [this, mixed], 8)


def test_versus_runs_trees_in_fresh_processes_taking_turns() -> None:
    tree = versus.THIS_TREE
    done: list[int] = []
    results = versus.compare([tree, tree], rounds=2, scale=2, progress=done.append)
    assert done == [1, 2]
    assert [len(rounds) for rounds in results] == [2, 2]
    for rounds in results:
        for measured in rounds:
            assert measured.one_x > 0 and measured.scaled > 0
            # every 1x run does the same work, so their mean is no less than the best
            assert measured.one_x_all >= measured.one_x
            assert measured.engine == kernel()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["/nonexistent/tree"], "not a salespulse checkout"),
        ([".", "--rounds", "1"], "expected a whole number >= 2, got '1'"),
        ([".", "--scale", "eight"], "expected a whole number >= 2, got 'eight'"),
    ],
)
def test_versus_refuses_bad_input_before_any_work(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        versus.main(argv)
    assert stopped.value.code == 2
    assert message in capsys.readouterr().err
