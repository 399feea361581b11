"""``tune``: an Optuna search over the cadence parameters of the file's ``tune:`` section."""

from __future__ import annotations

import argparse
import sys
import time

from tqdm import tqdm

from sim.analysis.outputs import tidy_tables
from sim.cli._shared import (
    add_run_arguments,
    add_verb,
    positive_int,
)
from sim.cli._shared import finish as _finish
from sim.cli._shared import overrides as _overrides
from sim.cli._shared import progress_bar as _progress_bar
from sim.config import ConfigError
from sim.experiment import DEFAULT_EXPERIMENT, load_experiment
from sim.report.display import comparison_tables
from sim.report.run_folder import fill_run_folder, run_folder


def cmd_tune(args: argparse.Namespace) -> int:
    from sim.analysis.comparison import compare
    from sim.tuning import study as tuning

    experiment = load_experiment(args.experiment, _overrides(args))
    if experiment.tune is None:
        raise ConfigError(
            f"{args.experiment or DEFAULT_EXPERIMENT}: no tune: section; expected objectives and parameters"
        )
    name = args.study or experiment.name
    storage = tuning.storage_spec(args.storage, args.out, experiment, name)
    study = tuning.open_study(
        experiment, storage, name
    )  # bad storage or a mismatched study: exit 2
    plan = tuning.WorkerPlan(experiment, storage, name, args.trials, args.timeout)
    already = tuning.finished_trials(study)
    started = time.perf_counter()
    print(
        f"study {name!r} in {storage.describe()}: {already} of {args.trials} trials finished",
        file=sys.stderr,
    )
    try:
        with tqdm(
            total=max(args.trials - already, 0),
            desc=name,
            unit="trial",
            disable=args.quiet or None,
            file=sys.stderr,
        ) as bar:
            tuning.run_workers(plan, args.jobs, progress=bar.update)
    except KeyboardInterrupt:
        finished = tuning.finished_trials(tuning.reload(storage, name))
        print(
            f"\nstopped after the trials in progress: {finished} of {args.trials} trials are saved in "
            f"{storage.describe()}.\nresume with the same command (same --study and --storage).",
            file=sys.stderr,
        )
        return 130
    study = tuning.reload(storage, name)
    chosen = tuning.best_trials(study, experiment.tune)
    counts = study.trials_dataframe(attrs=("state",))["state"].value_counts().to_dict()
    print(f"trials: {', '.join(f'{n} {state.lower()}' for state, n in counts.items())}")
    confirmation = None
    if chosen:
        confirm = tuning.confirmation_experiment(experiment, chosen)
        with _progress_bar(args, confirm.replications * (len(chosen) + 1), "confirmation") as bar:
            confirmation = compare(
                confirm,
                jobs=args.jobs,
                progress=bar.update,
                first_replication=experiment.tune.replications,
            )
    wall = time.perf_counter() - started
    with run_folder(args.out, experiment.name) as folder:
        tables = {"trials": tuning.trials_table(study)}
        extra: dict[str, object] = {}
        if confirmation is not None:
            tables.update(tidy_tables(confirmation.results))
            tables["differences"] = confirmation.differences
            tables["ranking"] = confirmation.ranking
            extra = {
                "baseline": confirmation.baseline,
                "stopped_because": "confirmation on fresh seeds",
                "tuned_summary": tuning.tuning_sentence(experiment, chosen[0], confirmation),
                "response_target_minutes": {
                    r.label: r.experiment.policy.speed_to_lead.response_target
                    for r in confirmation.results
                },
            }
            best_folder = (
                folder.path if len(experiment.tune.objectives) == 1 else folder.path / "pareto"
            )
            best_folder.mkdir(exist_ok=True)
            for trial in chosen if len(experiment.tune.objectives) > 1 else chosen[:1]:
                stem = "best" if best_folder == folder.path else f"trial-{trial.number}"
                folder.write_yaml(
                    str((best_folder / f"{stem}.yaml").relative_to(folder.path)),
                    tuning.trial_experiment(experiment, trial).to_config(designs=False),
                )
        warnings = (  # --no-report: "skip the figures and report.html/report.pdf"
            []
            if args.no_report
            else tuning.tuning_figures(study, experiment, folder.path / "figures")
        )
        warnings += fill_run_folder(
            folder,
            experiment,
            tables,
            verb="tune",
            replications=experiment.tune.replications,
            jobs=args.jobs,
            wall_seconds=wall,
            report=not args.no_report and confirmation is not None,
            primary_kpi=experiment.tune.objectives[0].kpi,
            study=name,
            storage=storage.describe(),
            trials=len(study.trials),
            chosen_trials=[t.number for t in chosen],
            **extra,
        )
    if confirmation is None:
        print("no feasible trial finished: nothing to confirm or export (see trials.csv)")
    else:
        print(
            comparison_tables(
                {r.label: r.summary for r in confirmation.results},
                confirmation.differences,
                confirmation.kpi,
            )
        )
        print(f"\n{extra['tuned_summary']}")
        best = "best.yaml" if len(experiment.tune.objectives) == 1 else "pareto/"
        print(f"Ready to run: python -m sim run {folder.final}/{best}")
    print(f"Watch the study: optuna-dashboard {storage.describe()}")
    _finish(folder.final, warnings)
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
    add_run_arguments(tune_parser, size_guard=False)
    tune_parser.add_argument(
        "--trials",
        type=positive_int,
        default=60,
        help="finished trials the study should have (default: 60)",
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
