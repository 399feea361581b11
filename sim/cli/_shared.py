"""What every verb shares: argument types, the shared flags, the size guard, progress and results lines."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import pandas as pd
from tqdm import tqdm

from sim.analysis.executors import DaskCluster, Workers
from sim.analysis.replications import default_jobs
from sim.analysis.worlds import RUNS_PER_WORLD, PlausibleWorlds
from sim.engine.kpis import KPIS, format_value
from sim.experiment import DEFAULT_EXPERIMENT, WORKLOAD_LIMIT, Experiment, Workload, load_experiment
from sim.report.run_folder import DEFAULT_RESULTS


class CliParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line naming the flag, plus where to get help."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n(see '{self.prog} --help')\n")


def whole_number(minimum: int) -> Callable[[str], int]:
    """An argparse type: a whole number of at least *minimum*, with a message naming it."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = minimum - 1
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected a whole number >= {minimum}, got {text!r}")
        return value

    return parse


positive_int = whole_number(1)
seed = whole_number(0)


def file_path(text: str) -> Path:
    """An argparse type: a path (the operating system refuses names with a NUL character)."""
    if "\x00" in text:
        raise argparse.ArgumentTypeError(f"expected a file or folder name, got {text!r}")
    return Path(text)


def add_experiment_arguments(parser: argparse.ArgumentParser) -> None:
    """The experiment file and ``--set`` overrides."""
    parser.add_argument(
        "experiment",
        nargs="?",
        type=file_path,
        default=None,
        help=f"experiment YAML file (default: {DEFAULT_EXPERIMENT.relative_to(DEFAULT_EXPERIMENT.parents[1])})",
    )
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="override one field, e.g. --set scenario.reps[0].count=25 (repeatable)",
    )


def add_run_arguments(
    parser: argparse.ArgumentParser, report: bool = True, size_guard: bool = True
) -> None:
    """Flags shared by the verbs that simulate: replications, seed, jobs or cluster, output folder, size guard."""
    add_experiment_arguments(parser)
    parser.add_argument(
        "--replications", "-n", type=positive_int, help="replications (default: from the file)"
    )
    parser.add_argument("--seed", type=seed, help="root seed (default: from the file)")
    parser.add_argument(
        "--jobs",
        "-j",
        type=positive_int,
        default=default_jobs(),
        help="worker processes (default: all cores)",
    )
    parser.add_argument(
        "--cluster",
        metavar="ADDRESS",
        default=os.environ.get("SALESPULSE_CLUSTER") or None,
        help="run the replications on the workers of a Dask scheduler, e.g. tcp://host:8786 "
        "(default: $SALESPULSE_CLUSTER if set, else --jobs local processes)",
    )
    parser.add_argument(
        "--out",
        type=file_path,
        default=DEFAULT_RESULTS,
        help="results root folder (default: results/)",
    )
    parser.add_argument(
        "--quiet", "-q", action="store_true", help="no progress bar and no estimate of long work"
    )
    if size_guard:
        parser.add_argument(
            "--yes",
            action="store_true",
            help=f"run even beyond the size guard (more than {WORKLOAD_LIMIT:,} simulated leads "
            "and rep-days, or a sweep of more than 10,000 points)",
        )
    if report:
        parser.add_argument(
            "--no-report", action="store_true", help="skip the figures and report.html/report.pdf"
        )


def add_uncertainty_argument(parser: argparse.ArgumentParser) -> None:
    """``--uncertainty``: each replication a plausible world drawn from the file's ``uncertain:``."""
    parser.add_argument(
        "--uncertainty",
        action="store_true",
        help="each replication is a plausible world drawn from the file's uncertain: section, the "
        "same for every policy; intervals cover what we do not know as well as noise, reported "
        f"apart (run and compare simulate each world {RUNS_PER_WORLD} times; see docs/uncertainty.md)",
    )


def runs_per_replication(args: argparse.Namespace) -> int:
    """Simulations per replication: one, or each plausible world's runs with ``--uncertainty``.

    With ``--uncertainty`` the file's ``uncertain:`` section is checked first (exit 2 when
    it has none, or a field cannot take a value its distribution reaches).
    """
    if not getattr(args, "uncertainty", False):
        return 1
    PlausibleWorlds(load(args), source(args))
    return RUNS_PER_WORLD


def uncertainty_lines(uncertainty: pd.DataFrame | None, kpi: str, policy: str = "") -> str:
    """Plain words for one KPI's noise and uncertainty (empty without plausible worlds)."""
    if uncertainty is None or kpi not in uncertainty.index:
        return ""
    row = uncertainty.loc[kpi]
    meta = KPIS[kpi]

    def show(value: float) -> str:
        return format_value(meta, value)

    share = row["share_from_uncertainty"]
    share_text = "n/a" if pd.isna(share) else f"{share:.0%}"
    who = f"{policy}: " if policy else ""
    return (
        f"{who}{meta.label.lower()} over {row['worlds']:.0f} plausible worlds x "
        f"{row['runs_per_world']:.0f} runs: sd {show(row['sd_worlds'])} from the uncertain inputs, "
        f"{show(row['sd_noise'])} from simulation noise ({share_text} of the variance from the "
        f"inputs); 90% of worlds between {show(row['worlds_p05'])} and {show(row['worlds_p95'])}"
        f"; the 95% CI would be ±{show(row['half_width_noise_only'])} from noise alone"
    )


def overrides(args: argparse.Namespace) -> list[str]:
    """``--set`` assignments, then ``--seed`` and ``--replications`` as assignments."""
    extra = []
    if getattr(args, "seed", None) is not None:
        extra.append(f"seed={args.seed}")
    if getattr(args, "replications", None) is not None:
        extra.append(f"replications={args.replications}")
    return [*args.overrides, *extra]


def load(args: argparse.Namespace) -> Experiment:
    """The experiment the command line names, with its overrides."""
    return load_experiment(args.experiment, overrides(args))


def source(args: argparse.Namespace) -> str:
    """The experiment file as messages name it."""
    return str(args.experiment or DEFAULT_EXPERIMENT)


def check_size(workload: Workload, args: argparse.Namespace) -> None:
    """Refuse work beyond the size limit unless ``--yes``; announce long work before it starts."""
    workload.refuse_if_too_large(args.yes, source(args))
    if workload.is_long and not args.quiet:
        print(f"estimate: {workload.describe()}", file=sys.stderr)


tqdm.monitor_interval = 0
"""No tqdm monitor thread: with no other thread running the report may fork a figure helper."""


def progress_bar(args: argparse.Namespace, total: int, label: str) -> tqdm:
    return tqdm(total=total, desc=label, unit="rep", disable=args.quiet or None, file=sys.stderr)


def finish(folder_path: Path | None, warnings: list[str]) -> None:
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"\nResults: {folder_path}")


Handler = Callable[[argparse.Namespace], int]


def add_verb(
    verbs: argparse._SubParsersAction,
    name: str,
    summary: str,
    description: str,
    handler: Handler,
) -> argparse.ArgumentParser:
    """A verb's sub-parser, which calls *handler* with the parsed arguments."""
    sub = verbs.add_parser(name, help=summary, description=description)
    sub.set_defaults(handler=handler)
    return sub


def workers(args: argparse.Namespace) -> Workers:
    """Where replications run: the Dask workers of --cluster, else --jobs local processes.

    Connects now, before any folder is created: an unreachable scheduler, or workers
    running other salespulse code, is exit 2 with nothing written.
    """
    if not args.cluster:
        return args.jobs
    cluster = DaskCluster(args.cluster)
    print(cluster.describe(), file=sys.stderr)
    return cluster


def interrupted(args: argparse.Namespace, finished: int, total: int, partial: Path) -> int:
    """Ctrl-C during a resumable verb: say what is kept and how to carry on; exit status 130."""
    again = " ".join(
        [f"python -m sim {args.verb}", *([str(args.experiment)] if args.experiment else [])]
    )
    print(
        f"\ninterrupted: {finished} of {total} points finished and kept in {partial}\n"
        f"resume with: {again} --resume {partial} (and the same --set options)",
        file=sys.stderr,
    )
    return 130
