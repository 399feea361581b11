"""``tune``: an Optuna search over the cadence parameters of the file's ``tune:`` section."""

from __future__ import annotations

import argparse
import sys

from tqdm import tqdm

from sim.cli._shared import (
    add_run_arguments,
    add_uncertainty_argument,
    add_verb,
    check_size,
    positive_int,
    runs_per_replication,
    source,
    workers,
)
from sim.cli._shared import finish as _finish
from sim.cli._shared import overrides as _overrides
from sim.config import ConfigError
from sim.experiment import DEFAULT_EXPERIMENT, estimate_workload, load_experiment
from sim.report.display import comparison_tables


def cmd_tune(args: argparse.Namespace) -> int:
    from sim.tuning import TuneStatus, TuneStopped, checked_search_space, tune, write_tune_run

    experiment = load_experiment(args.experiment, _overrides(args))
    if experiment.tune is None:
        raise ConfigError(
            f"{args.experiment or DEFAULT_EXPERIMENT}: no tune: section; expected objectives and parameters"
        )
    checked_search_space(experiment, source(args))  # a bad range or choice before any estimate
    section = experiment.tune
    args.uncertainty = args.uncertainty or section.robust  # quantile and CVaR need worlds
    trial_replications = args.trials * section.replications
    confirm_replications = (
        (section.confirm_top + 1) * section.confirm_replications * runs_per_replication(args)
    )
    check_size(estimate_workload([experiment], trial_replications + confirm_replications), args)
    confirm_on = workers(args) if args.cluster else None  # trials scale out through --storage
    bars: dict[str, tqdm] = {}

    def show(status: TuneStatus) -> None:  # one bar per stage, the first naming the study
        if status.stage not in bars:
            if status.stage == "trials":
                print(
                    f"study {status.study!r} in {status.storage}: "
                    f"{status.done} of {status.total} trials finished",
                    file=sys.stderr,
                )
            for bar in bars.values():
                bar.close()
            bars[status.stage] = tqdm(
                total=status.total,
                initial=status.done,
                desc=status.study if status.stage == "trials" else status.stage,
                unit="trial" if status.stage == "trials" else "rep",
                disable=args.quiet or None,
                file=sys.stderr,
            )
        bar = bars[status.stage]
        bar.update(status.done - bar.n)

    try:
        result = tune(
            experiment,
            trials=args.trials,
            jobs=args.jobs,
            storage=args.storage,
            study=args.study,
            timeout=args.timeout,
            out=args.out,
            progress=show,
            confirm_on=confirm_on,
            uncertainty=args.uncertainty,
            source=source(args),
        )
    except TuneStopped as stopped:
        print(f"\n{stopped}", file=sys.stderr)
        return 130
    finally:
        for bar in bars.values():
            bar.close()
    print(f"trials: {result.counts}")
    saved = write_tune_run(result, args.out, report=not args.no_report)
    if result.confirmation is None:
        print("no feasible trial finished: nothing to confirm or export (see trials.csv)")
    else:
        confirmation = result.confirmation
        print(
            comparison_tables(
                {r.label: r.summary for r in confirmation.results},
                confirmation.differences,
                confirmation.kpi,
            )
        )
        print(f"\n{result.sentence}")
        print(f"Ready to run: python -m sim run {saved.ready_to_run}")
    print(f"Watch the study: optuna-dashboard {result.dashboard}")
    _finish(saved.folder, result.warnings + saved.warnings)
    return 0


def add_tune_verb(verbs: argparse._SubParsersAction) -> None:
    """The ``tune`` sub-parser."""
    tune_parser = add_verb(
        verbs,
        "tune",
        "tune cadence parameters with Optuna",
        "Search the parameters of the file's tune: section with Optuna (same seeds for every trial, "
        "Wilcoxon pruning), confirm the best on fresh seeds, export the best cadence as YAML. "
        "Rerunning the same command resumes the study.",
        cmd_tune,
    )
    add_run_arguments(tune_parser)
    add_uncertainty_argument(tune_parser)
    tune_parser.add_argument(
        "--trials",
        type=positive_int,
        default=60,
        help="finished trials the study should have, the baseline included (default: 60)",
    )
    tune_parser.add_argument(
        "--timeout", type=float, metavar="SECONDS", help="stop starting trials after this long"
    )
    tune_parser.add_argument(
        "--storage",
        metavar="URL",
        help="postgresql://user:password@host/db to share the study across machines "
        "(default: a journal file under results/<experiment>/studies/)",
    )
    tune_parser.add_argument(
        "--study", metavar="NAME", help="study name (default: the experiment name)"
    )
