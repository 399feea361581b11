"""Command line: ``python -m sim <verb> ...``.

Exit status: 0 on success, 2 on bad input (a file, a field or a flag; the
message names it), 1 on an internal failure (a bug: please report it with the
traceback).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from tqdm import tqdm

from policies.staffing import staffed_groups
from sim.display import summary_table
from sim.experiment import DEFAULT_EXPERIMENT, ConfigError, Experiment, load_experiment
from sim.results import DEFAULT_RESULTS, manifest, run_folder
from sim.runner import default_jobs, run


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}")
    return value


def _add_experiment_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "experiment",
        nargs="?",
        type=Path,
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


def _overrides(args: argparse.Namespace) -> list[str]:
    extra = []
    if getattr(args, "seed", None) is not None:
        extra.append(f"seed={args.seed}")
    if getattr(args, "replications", None) is not None:
        extra.append(f"replications={args.replications}")
    return [*args.overrides, *extra]


def staffed_rep_count(experiment: Experiment) -> int:
    """Reps on the team once the cadence's staffing policy is applied."""
    return sum(r + o for _, r, o in staffed_groups(experiment.scenario, experiment.policy))


def cmd_check(args: argparse.Namespace) -> int:
    experiment = load_experiment(args.experiment, _overrides(args))
    scenario = experiment.scenario
    print(
        f"{args.experiment or DEFAULT_EXPERIMENT}: OK: experiment {experiment.name!r}, "
        f"{len(scenario.sources)} lead source(s), {staffed_rep_count(experiment)} reps, "
        f"{experiment.replications} replications"
    )
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    experiment = load_experiment(args.experiment, _overrides(args))
    n = experiment.replications
    started = time.perf_counter()
    with tqdm(
        total=n, desc=f"{experiment.name}", unit="rep", disable=args.quiet or None, file=sys.stderr
    ) as bar:
        result = run(experiment, jobs=args.jobs, progress=bar.update)
    wall = time.perf_counter() - started
    with run_folder(args.out, experiment.name) as folder:
        folder.write_yaml("config.yaml", experiment.to_config())
        folder.write_json(
            "manifest.json",
            manifest(experiment.seed, n, args.jobs, wall, experiment=experiment.name),
        )
        folder.write_table("replications", result.replications)
        folder.write_table("summary", result.summary)
    title = f"{experiment.name}: {n} replications, seed {experiment.seed}, {wall:.1f} s"
    print(summary_table(result.summary, title))
    print(f"\nResults: {folder.final}")
    return 0


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line naming the flag, plus where to get help."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n(see '{self.prog} --help')\n")


def cmd_validate(args: argparse.Namespace) -> int:
    from sim.validation import validate, validation_table

    started = time.perf_counter()
    rows = validate(quick=args.quick, jobs=args.jobs, seed=args.seed)
    print(validation_table(rows))
    failed = [row for row in rows if not row.passed]
    mode = "quick" if args.quick else "full"
    print(
        f"\n{len(rows) - len(failed)} passed, {len(failed)} failed "
        f"({mode} validation, seed {args.seed}, {time.perf_counter() - started:.0f} s)"
    )
    return 1 if failed else 0


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m sim",
        description="salespulse: simulate leads, reps and cadence policies with honest statistics.",
    )
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)

    run_parser = verbs.add_parser(
        "run",
        help="run one experiment for N replications",
        description="Run one experiment and summarise its KPIs.",
    )
    _add_experiment_arguments(run_parser)
    run_parser.add_argument(
        "--replications", "-n", type=_positive_int, help="replications (default: from the file)"
    )
    run_parser.add_argument("--seed", type=_seed, help="root seed (default: from the file)")
    run_parser.add_argument(
        "--jobs",
        "-j",
        type=_positive_int,
        default=default_jobs(),
        help="worker processes (default: all cores)",
    )
    run_parser.add_argument(
        "--out", type=Path, default=DEFAULT_RESULTS, help="results root folder (default: results/)"
    )
    run_parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    run_parser.set_defaults(handler=cmd_run)

    check_parser = verbs.add_parser(
        "check",
        help="validate an experiment file without running it",
        description="Validate an experiment file.",
    )
    _add_experiment_arguments(check_parser)
    check_parser.set_defaults(handler=cmd_check)
    validate_parser = verbs.add_parser(
        "validate",
        help="check the engine against queueing theory and published lead-response figures",
        description="Check the engine against Erlang C/A and the published lead-response studies; "
        "exits 1 if any check fails.",
    )
    validate_parser.add_argument(
        "--quick", action="store_true", help="smaller samples (under 30 s)"
    )
    validate_parser.add_argument("--seed", type=_seed, default=1, help="root seed (default: 1)")
    validate_parser.add_argument(
        "--jobs",
        "-j",
        type=_positive_int,
        default=default_jobs(),
        help="worker processes (default: all cores)",
    )
    validate_parser.set_defaults(handler=cmd_validate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m sim``; returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help (0) or a bad flag (2, message already printed)
        return exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 2
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except ConfigError as exc:
        for line in str(exc).splitlines():
            print(f"error: {line}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into e.g. `head`: not an error
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        return 0
    except KeyboardInterrupt:
        print("interrupted: no results were written", file=sys.stderr)
        return 130
    except Exception:
        traceback.print_exc()
        print(
            "internal error: this is a bug in salespulse; please report it with the traceback above",
            file=sys.stderr,
        )
        return 1
