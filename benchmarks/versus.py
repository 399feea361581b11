"""This tree against another, in fresh processes taking turns: CPU per event at 1x and 8x volume.

A change of 2-3% in section 3's ratio (:mod:`benchmarks.volume`) is smaller than the
noise of one figure: an 8x run moves by about 4% either way between fresh processes, and
by more between hours (docs/performance.md, "Session 9"). So this benchmark measures two
source trees (this checkout and another, each built in place) in rounds. A round runs one
fresh process per tree, the trees' order alternating from round to round, and each process
times section 3's default team at 1x *scale* times and at *scale* x once, on the lean
clock. The report gives the medians over the rounds with their interquartile range (the
growth against the best 1x run, and against all of them: the same work at both scales),
and the per-round ratio of the two trees' large-scale figures: the paired comparison,
which the machine's slow drifts touch least.

    python -m benchmarks.versus ../other-checkout [--rounds 12] [--scale 8]

Build the other tree in place first (``pip install -e`` there, or its ``setup.py
build_ext --inplace``): the report names the engine each tree ran, compiled or pure Python.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.common import table
from sim.cli import whole_number

THIS_TREE = Path(__file__).resolve().parent.parent
"""The checkout this module belongs to."""

ROUND_SCRIPT = """
import json, sys
from benchmarks.volume import measure, scaled_experiment
from sim.engine import kernel
scale = int(sys.argv[1])
small, large = scaled_experiment(1), scaled_experiment(scale)
runs = [measure(small, 1, False) for _ in range(scale)]
best_small = min(run.microseconds_per_event for run in runs)
all_small = 1e6 * sum(run.cpu_seconds for run in runs) / sum(run.events for run in runs)
large_run = measure(large, scale, False).microseconds_per_event
print(json.dumps([best_small, all_small, large_run, kernel()]))
"""
"""What one process runs in the tree measured. It uses only ``benchmarks.volume.measure``
(and its runs' ``microseconds_per_event``, ``cpu_seconds`` and ``events``),
``scaled_experiment`` and ``sim.engine.kernel``, so older checkouts can be measured too."""


@dataclass(frozen=True)
class Round:
    """One tree's fresh process: CPU microseconds per event at 1x and at *scale*.

    At 1x, the best of the *scale* runs and all of them added up (the same work as the
    one run at *scale*).
    """

    one_x: float
    one_x_all: float
    scaled: float
    engine: str

    @property
    def growth(self) -> float:
        """8x / 1x of the best 1x run: errs on the high side (:func:`benchmarks.volume.run_volume`)."""
        return self.scaled / self.one_x

    @property
    def equal_work_growth(self) -> float:
        """8x / 1x of all the 1x runs: the same work and the same statistic at both scales."""
        return self.scaled / self.one_x_all


def run_round(tree: Path, scale: int) -> Round:
    """Run :data:`ROUND_SCRIPT` in a fresh process on *tree*'s sources."""
    environment = dict(os.environ, PYTHONPATH=str(tree), OPENBLAS_NUM_THREADS="1")
    done = subprocess.run(
        [sys.executable, "-c", ROUND_SCRIPT, str(scale)],
        cwd=tree,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise RuntimeError(f"the round failed in {tree}: {last}")
    one_x, one_x_all, scaled, engine = json.loads(done.stdout)
    return Round(one_x, one_x_all, scaled, engine)


def compare(
    trees: Sequence[Path],
    rounds: int,
    scale: int,
    progress: Callable[[int], None] = lambda done: None,
) -> list[list[Round]]:
    """*rounds* rounds of every tree, the order reversed every other round; per tree, its rounds."""
    results: list[list[Round]] = [[] for _ in trees]
    for done in range(rounds):
        order = range(len(trees)) if done % 2 == 0 else reversed(range(len(trees)))
        for index in order:
            results[index].append(run_round(trees[index], scale))
        progress(done + 1)
    return results


def _median_and_quartiles(values: Sequence[float]) -> str:
    low, middle, high = statistics.quantiles(values, n=4, method="inclusive")
    return f"{middle:.3f} ({low:.3f}-{high:.3f})"


def versus_report(names: Sequence[str], results: Sequence[Sequence[Round]], scale: int) -> str:
    """Each tree's medians (interquartile range), then the first tree against the second, by round."""
    rows = [
        [
            name,
            ", ".join(sorted({r.engine for r in rounds})),
            f"{statistics.median(r.one_x for r in rounds):.3f}",
            _median_and_quartiles([r.scaled for r in rounds]),
            _median_and_quartiles([r.growth for r in rounds]),
            _median_and_quartiles([r.equal_work_growth for r in rounds]),
        ]
        for name, rounds in zip(names, results, strict=True)
    ]
    header = [
        "tree",
        "engine",
        "1x us/event",
        f"{scale}x us/event (IQR)",
        f"{scale}x / best 1x (IQR)",
        f"{scale}x / all 1x (IQR)",
    ]
    lines = [table(header, rows, align="llrrrr")]
    first, second = results[0], results[1]
    paired = [a.scaled / b.scaled for a, b in zip(first, second, strict=True)]
    lower = sum(ratio < 1.0 for ratio in paired)
    lines += [
        "",
        f"  {scale}x, {names[0]} / {names[1]}, round by round: median {statistics.median(paired):.3f}, "
        f"{names[0]} lower in {lower} of {len(paired)} rounds",
        '  (issue 14\'s target: 8x / 1x within 1.15; "all 1x": the same work at both scales)',
    ]
    engines = {r.engine for rounds in results for r in rounds}
    if len(engines) > 1:
        lines.append("  The trees ran different engines: build both the same way before comparing.")
    return "\n".join(lines)


def _tree(text: str) -> Path:
    path = Path(text).resolve()
    if not (path / "sim" / "engine" / "floor.py").is_file():
        raise argparse.ArgumentTypeError(
            f"{text}: not a salespulse checkout (no sim/engine/floor.py)"
        )
    return path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.versus",
        description="CPU per event at 1x and 8x volume: this tree against another, in turns.",
    )
    parser.add_argument("other", type=_tree, help="the other checkout, built in place")
    parser.add_argument("--rounds", type=whole_number(2), default=12, help="default: 12")
    parser.add_argument(
        "--scale", type=whole_number(2), default=8, help="the large volume (default: 8)"
    )
    args = parser.parse_args(argv)  # bad input: exit 2 with argparse's one-line message
    trees = [THIS_TREE, args.other]
    print(f"  {THIS_TREE} (this) against {args.other}: {args.rounds} rounds", flush=True)
    try:
        results = compare(
            trees,
            args.rounds,
            args.scale,
            lambda done: print(
                f"  round {done} of {args.rounds} done", file=sys.stderr, flush=True
            ),
        )
    except RuntimeError as failure:  # a tree that cannot run the round: its last error line
        print(f"{parser.prog}: {failure}", file=sys.stderr)
        return 1
    print(versus_report(["this", "other"], results, args.scale))
    return 0


if __name__ == "__main__":
    sys.exit(main())
