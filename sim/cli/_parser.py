"""The argument parser: one sub-parser per verb, each calling its function in :mod:`sim.cli._verbs`."""

from __future__ import annotations

import argparse
import functools
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any

from sim.analysis.replications import default_jobs
from sim.cli._sensitivity import add_sensitivity_verb
from sim.cli._shared import (
    CliParser,
    add_experiment_arguments,
    add_run_arguments,
    add_uncertainty_argument,
    add_verb,
    file_path,
    positive_int,
    seed,
)
from sim.cli._tune import add_tune_verb
from sim.cli._verbs import (
    cmd_calibrate,
    cmd_check,
    cmd_compare,
    cmd_export_leads,
    cmd_report,
    cmd_run,
    cmd_sweep,
    cmd_validate,
)


class _Version(argparse.Action):
    """``--version``: the package version and which engine runs (compiled or pure Python).

    The engine is imported only when the flag is given, so other commands start no slower.
    """

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(
            option_strings,
            dest,
            nargs=0,
            help="print the version and which engine runs (compiled or pure Python), then exit",
        )

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        import sim.engine

        print(f"salespulse {version('salespulse')}, engine: {sim.engine.kernel()}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = CliParser(
        prog="python -m sim",
        description="salespulse: simulate leads, reps and cadence policies with honest statistics.",
    )
    parser.add_argument("--version", action=_Version)
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)

    verb = functools.partial(add_verb, verbs)

    run_parser = verb(
        "run",
        "run one experiment for N replications",
        "Run one experiment and summarise its KPIs.",
        cmd_run,
    )
    add_run_arguments(run_parser)
    add_uncertainty_argument(run_parser)

    compare_parser = verb(
        "compare",
        "compare a baseline cadence with variants on the same seeds",
        "Run the baseline and every variant of the file's compare: section on the same replication seeds; "
        "print paired differences with CIs and p-values and a ranking.",
        cmd_compare,
    )
    add_run_arguments(compare_parser)
    add_uncertainty_argument(compare_parser)
    compare_parser.add_argument(
        "--target-halfwidth",
        metavar="X",
        help="add replications until every paired-difference CI on the comparison KPI is this narrow "
        "(absolute, or relative to the baseline such as 2%%)",
    )
    compare_parser.add_argument(
        "--max-replications",
        type=positive_int,
        help="upper limit with --target-halfwidth (default: 10x the first batch)",
    )

    sweep_parser = verb(
        "sweep",
        "sweep a grid of parameters",
        "Run every point of the file's sweep: section on the same replication seeds; resumable.",
        cmd_sweep,
    )
    add_run_arguments(sweep_parser)
    sweep_parser.add_argument(
        "--resume",
        type=file_path,
        metavar="RUN_DIR",
        help="continue the interrupted sweep in RUN_DIR (a .partial folder)",
    )

    check_parser = verb(
        "check",
        "validate an experiment file without running it",
        "Validate an experiment file.",
        cmd_check,
    )
    add_experiment_arguments(check_parser)

    report_parser = verb(
        "report",
        "write figures, report.html and report.pdf for a run folder",
        "Draw the figures and write a self-contained report.html and report.pdf into a finished run folder.",
        cmd_report,
    )
    report_parser.add_argument(
        "run_dir", type=file_path, metavar="RUN_DIR", help="a finished run folder"
    )

    add_tune_verb(verbs)
    add_sensitivity_verb(verbs)

    validate_parser = verb(
        "validate",
        "check the engine against queueing theory and published lead-response figures",
        "Check the engine against Erlang C/A and the published lead-response studies; "
        "exits 1 if any check fails.",
        cmd_validate,
    )
    validate_parser.add_argument(
        "--quick", action="store_true", help="smaller samples (about a minute on 2 cores)"
    )
    validate_parser.add_argument("--seed", type=seed, default=1, help="root seed (default: 1)")
    validate_parser.add_argument(
        "--jobs",
        "-j",
        type=positive_int,
        default=default_jobs(),
        help="worker processes (default: all cores)",
    )
    calibrate_parser = verb(
        "calibrate",
        "fit a scenario from a CRM export of leads (and activities)",
        "Fit lead volumes, hour-of-week profiles, response curves (with CIs), funnel rates, "
        "attempts, durations and deal values from a CRM export; write a runnable experiment YAML "
        "and a calibration report (see docs/calibration.md).",
        cmd_calibrate,
    )
    calibrate_parser.add_argument(
        "leads", type=file_path, metavar="LEADS.csv", help="one row per lead"
    )
    calibrate_parser.add_argument(
        "--activities", type=file_path, metavar="ACTIVITIES.csv", help="one row per call or touch"
    )
    calibrate_parser.add_argument(
        "--out",
        type=file_path,
        default=Path("experiments/calibrated.yaml"),
        help="experiment YAML to write (default: experiments/calibrated.yaml)",
    )
    calibrate_parser.add_argument(
        "--report",
        type=file_path,
        help="HTML report to write (default: next to --out, .calibration.html)",
    )
    calibrate_parser.add_argument(
        "--base",
        type=file_path,
        help="experiment supplying everything not fitted (default: experiments/baseline.yaml)",
    )
    calibrate_parser.add_argument(
        "--map",
        nargs="+",
        action="extend",
        default=[],
        metavar="NAME=COLUMN",
        help="file column for a documented column, e.g. --map created_at=CreateDate "
        "activities.lead_id=WhoId",
    )
    calibrate_parser.add_argument(
        "--tz", metavar="ZONE", help="time zone of naive timestamps and of the team (default: UTC)"
    )
    calibrate_parser.add_argument(
        "--time-format", metavar="FORMAT", help="strftime layout of non-ISO timestamps"
    )
    calibrate_parser.add_argument(
        "--delimiter", default=",", help="field separator (default: ','; 'tab' for tabs)"
    )
    calibrate_parser.add_argument(
        "--encoding", default="utf-8", help="file encoding (default: utf-8)"
    )
    calibrate_parser.add_argument(
        "--family",
        choices=("exponential", "weibull", "table"),
        default="exponential",
        help="response-curve family written (default: exponential; table: the piecewise curve)",
    )
    calibrate_parser.add_argument(
        "--stratify",
        choices=("none", "source", "source,owner"),
        default="source",
        metavar="{none|source|source,owner}",
        help="base chances by source (default) or by source and owner (selection-bias adjustment)",
    )
    calibrate_parser.add_argument(
        "--skip-bad-rows", action="store_true", help="skip and count bad rows instead of stopping"
    )
    calibrate_parser.add_argument(
        "--seed", type=seed, default=1, help="seed of the win-rate simulation (default: 1)"
    )

    export_parser = verb(
        "export-leads",
        "write a CRM-style export (leads.csv, activities.csv) of a run's replication",
        "Re-simulate one replication of a finished run folder with a recorder attached and write "
        "leads.csv and activities.csv in the format 'calibrate' reads.",
        cmd_export_leads,
    )
    export_parser.add_argument(
        "run_dir", type=file_path, metavar="RUN_DIR", help="a finished run folder"
    )
    export_parser.add_argument(
        "--replication", type=int, default=0, help="which replication (default: 0)"
    )
    export_parser.add_argument(
        "--out", type=file_path, help="output folder (default: RUN_DIR/crm/replication-R)"
    )
    return parser
