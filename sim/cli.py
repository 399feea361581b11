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

from sim.analysis.executors import DaskCluster, Workers
from sim.analysis.outputs import tidy_tables
from sim.analysis.replications import default_jobs, run
from sim.config import ConfigError
from sim.engine.kpis import KPIS
from sim.experiment import DEFAULT_EXPERIMENT, Experiment, load_experiment
from sim.report.display import comparison_tables, summary_table, sweep_table
from sim.report.run_folder import DEFAULT_RESULTS, fill_run_folder, run_folder


def _whole_number(minimum: int) -> Callable[[str], int]:
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


_positive_int = _whole_number(1)
_seed = _whole_number(0)


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


def cmd_check(args: argparse.Namespace) -> int:
    experiment = load_experiment(args.experiment, _overrides(args))
    scenario = experiment.scenario
    print(
        f"{args.experiment or DEFAULT_EXPERIMENT}: OK: experiment {experiment.name!r}, "
        f"{len(scenario.sources)} lead source(s), {experiment.policy.rep_count(scenario)} reps, "
        f"{experiment.replications} replications"
    )
    return 0


def _workers(args: argparse.Namespace) -> Workers:
    """Where replications run: the Dask workers of --cluster, else --jobs local processes.

    Connects now, before any folder is created: an unreachable scheduler, or workers
    running other salespulse code, is exit 2 with nothing written.
    """
    if not args.cluster:
        return args.jobs
    cluster = DaskCluster(args.cluster)
    print(cluster.describe(), file=sys.stderr)
    return cluster


def _progress_bar(args: argparse.Namespace, total: int, label: str) -> tqdm:
    return tqdm(total=total, desc=label, unit="rep", disable=args.quiet or None, file=sys.stderr)


def _finish(folder_path: Path | None, warnings: list[str]) -> None:
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"\nResults: {folder_path}")


def cmd_run(args: argparse.Namespace) -> int:
    experiment = load_experiment(args.experiment, _overrides(args))
    workers = _workers(args)
    n = experiment.replications
    started = time.perf_counter()
    with _progress_bar(args, n, experiment.name) as bar:
        result = run(experiment, jobs=workers, progress=bar.update)
    wall = time.perf_counter() - started
    with run_folder(args.out, experiment.name) as folder:
        warnings = fill_run_folder(
            folder,
            experiment,
            tidy_tables([result]),
            verb="run",
            replications=n,
            jobs=args.jobs,
            wall_seconds=wall,
            report=not args.no_report,
            primary_kpi="profit",
            response_target_minutes={result.label: experiment.policy.speed_to_lead.response_target},
        )
    title = f"{experiment.name}: {n} replications, seed {experiment.seed}, {wall:.1f} s"
    print(summary_table(result.summary, title))
    _finish(folder.final, warnings)
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from sim.analysis.comparison import HalfWidthTarget, arms, compare

    experiment = load_experiment(args.experiment, _overrides(args))
    source = str(args.experiment or DEFAULT_EXPERIMENT)
    labelled = arms(experiment, source)  # bad variants fail here, before any simulation
    target = HalfWidthTarget.parse(args.target_halfwidth) if args.target_halfwidth else None
    if args.max_replications is not None and target is None:
        raise ConfigError("--max-replications: only used with --target-halfwidth")
    workers = _workers(args)
    started = time.perf_counter()
    first = experiment.replications
    with _progress_bar(args, first * len(labelled), experiment.name) as bar:

        def next_batch(done: int, widest: float) -> None:
            bar.total = bar.n + first * len(labelled)
            bar.set_postfix_str(f"{done} reps, widest half-width {widest:,.4g}")

        result = compare(
            experiment,
            jobs=workers,
            target=target,
            max_replications=args.max_replications,
            progress=bar.update,
            on_batch=next_batch,
            source=source,
        )
    wall = time.perf_counter() - started
    tables = tidy_tables(result.results)
    tables["differences"] = result.differences
    tables["ranking"] = result.ranking
    with run_folder(args.out, experiment.name) as folder:
        warnings = fill_run_folder(
            folder,
            experiment,
            tables,
            verb="compare",
            replications=result.replications,
            jobs=args.jobs,
            wall_seconds=wall,
            report=not args.no_report,
            primary_kpi=result.kpi,
            baseline=result.baseline,
            stopped_because=result.stopped_because,
            response_target_minutes={
                label: arm.policy.speed_to_lead.response_target for label, arm in labelled
            },
        )
    print(
        f"{experiment.name}: {len(labelled)} policies x {result.replications} replications on the same seeds "
        f"(seed {experiment.seed}), {wall:.1f} s"
    )
    print(
        comparison_tables(
            {r.label: r.summary for r in result.results}, result.differences, result.kpi
        )
    )
    print(f"\nRanking by {KPIS[result.kpi].label.lower()}:")
    for _, row in result.ranking.iterrows():
        print(f"  {row['rank']}. {row['policy']} (group {row['group']}): {row['verdict']}")
    print(f"Stopped: {result.stopped_because}")
    _finish(folder.final, warnings)
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    from sim.analysis.sweeps import MAX_POINTS_WITHOUT_CONFIRMATION, Checkpoint, sweep, sweep_points

    experiment = load_experiment(args.experiment, _overrides(args))
    source = str(args.experiment or DEFAULT_EXPERIMENT)
    if experiment.sweep is None:
        raise ConfigError(f"{source}: no sweep: section; expected a grid or a list of points")
    size = experiment.sweep.size
    if size > MAX_POINTS_WITHOUT_CONFIRMATION and not args.yes:
        raise ConfigError(
            f"{source}: sweep: {size:,} points (more than {MAX_POINTS_WITHOUT_CONFIRMATION:,}); "
            "add --yes to run them all"
        )
    sweep_points(experiment, source)  # every point is valid before anything runs
    workers = _workers(args)
    partial, out = _sweep_folder(args, experiment)
    checkpoint = Checkpoint(partial)
    done = len(checkpoint.load())
    n = experiment.replications
    started = time.perf_counter()
    try:
        with run_folder(out, experiment.name, partial=partial) as folder:
            if not (partial / "config.yaml").exists():
                folder.write_yaml("config.yaml", experiment.to_config())
            with _progress_bar(args, (size - done) * n, experiment.name) as bar:
                result = sweep(
                    experiment,
                    jobs=workers,
                    progress=bar.update,
                    checkpoint=checkpoint,
                    source=source,
                )
            wall = time.perf_counter() - started
            checkpoint.path.unlink()
            tables = {
                "points": result.points,
                "replications": result.replications,
                "summary": result.summary,
            }
            warnings = fill_run_folder(
                folder,
                experiment,
                tables,
                verb="sweep",
                replications=n,
                jobs=args.jobs,
                wall_seconds=wall,
                report=not args.no_report,
                primary_kpi=experiment.sweep.kpi,
                parameters=result.parameters,
                resumed_points=done,
            )
    except KeyboardInterrupt:
        finished = len(checkpoint.load())
        again = " ".join(
            ["python -m sim sweep", *([str(args.experiment)] if args.experiment else [])]
        )
        print(
            f"\ninterrupted: {finished} of {size} points finished and kept in {partial}\n"
            f"resume with: {again} --resume {partial} (and the same --set options)",
            file=sys.stderr,
        )
        return 130
    print(
        sweep_table(
            result,
            experiment.sweep.kpi,
            title=f"{experiment.name}: {size} points x {n} replications",
        )
    )
    _finish(folder.final, warnings)
    return 0


def _sweep_folder(args: argparse.Namespace, experiment: Experiment) -> tuple[Path, Path]:
    """The ``.partial`` folder to fill (new, or the one to resume) and the results root."""
    from sim.experiment import read_yaml
    from sim.report.run_folder import PARTIAL_SUFFIX, new_partial_folder

    if args.resume is None:
        return new_partial_folder(args.out, experiment.name), args.out
    folder: Path = args.resume
    if (
        not folder.is_dir()
        or not folder.name.endswith(PARTIAL_SUFFIX)
        or not (folder / "config.yaml").exists()
    ):
        raise ConfigError(
            f"--resume {folder}: expected the <run-id>{PARTIAL_SUFFIX} folder an interrupted sweep left behind"
        )
    stored = read_yaml(folder / "config.yaml")
    current = experiment.to_config()
    if stored != current:
        differing = sorted(
            key for key in set(stored) | set(current) if stored.get(key) != current.get(key)
        )
        raise ConfigError(
            f"--resume {folder}: that folder holds a sweep of experiment {stored.get('name')!r} with different "
            f"settings ({', '.join(differing)}); expected a partial sweep of {experiment.name!r} with the same "
            "settings (same file, same --set options)"
        )
    return folder, folder.parent.parent


def cmd_tune(args: argparse.Namespace) -> int:
    from sim.analysis.comparison import compare
    from sim.tuning import study as tuning

    experiment = load_experiment(args.experiment, _overrides(args))
    if experiment.tune is None:
        raise ConfigError(
            f"{args.experiment or DEFAULT_EXPERIMENT}: no tune: section; expected objectives and parameters"
        )
    name = args.study or experiment.name
    workers = _workers(args)  # for the confirmation; the trials run on --jobs local processes
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
                jobs=workers,
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


def cmd_report(args: argparse.Namespace) -> int:
    from sim.report.report import write_report

    folder: Path = args.run_dir
    if not (folder / "manifest.json").exists():
        raise ConfigError(
            f"{folder}: not a run folder (expected manifest.json and the tables of a finished run)"
        )
    html, pdf = write_report(folder)
    print(f"Report: {html}\n        {pdf}")
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    from sim.calibration.calibrate import (
        CalibrationOptions,
        calibrate,
        default_report_path,
        experiment_name,
        write_calibration,
    )
    from sim.calibration.crm import ReadOptions, parse_mapping

    if args.tz is not None:
        import zoneinfo

        try:
            zoneinfo.ZoneInfo(args.tz)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ConfigError(
                f"--tz {args.tz}: unknown time zone; expected an IANA name such as Europe/Berlin or UTC"
            ) from None
    delimiter = "\t" if args.delimiter in ("\\t", "tab") else args.delimiter
    if len(delimiter) != 1:
        raise ConfigError(f"--delimiter {args.delimiter!r}: expected one character such as ';'")
    options = CalibrationOptions(
        leads=args.leads,
        activities=args.activities,
        base=args.base,
        read=ReadOptions(
            mapping=parse_mapping(args.map),
            tz=args.tz,
            delimiter=delimiter,
            encoding=args.encoding,
            time_format=args.time_format,
            skip_bad_rows=args.skip_bad_rows,
        ),
        family=args.family,
        stratify=args.stratify,
        seed=args.seed,
        name=experiment_name(args.out),
    )
    cal = calibrate(options)
    for warning in cal.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for table in (cal.leads, cal.activities):
        if table is not None and table.skipped.total:
            print(
                f"skipped {table.skipped.total:,} bad row(s) of {table.path}: "
                + "; ".join(f"{n:,} {reason}" for reason, n in table.skipped.counts.most_common()),
                file=sys.stderr,
            )
    out, report = write_calibration(cal, args.out, args.report or default_report_path(args.out))
    print(
        f"Calibrated {len(cal.leads):,} leads from {len(cal.sources)} source(s) in {cal.seconds:.1f} s "
        f"({len(cal.warnings)} warning(s))"
    )
    for what, fit in (("contact", cal.contact), ("qualification", cal.qualification)):
        if fit is not None:
            print(
                f"  {what} curve ({fit.family}): scale {fit.scale.text()} min, floor {fit.floor.text()}"
            )
    print(f"Scenario: {out}\nReport:   {report}\nRun it:   python -m sim run {out}")
    return 0


def cmd_export_leads(args: argparse.Namespace) -> int:
    from sim.calibration.crm import export_replication

    leads, activities, n_leads, n_activities = export_replication(
        args.run_dir, args.replication, args.out
    )
    print(f"Wrote {n_leads:,} leads to {leads}\n  and {n_activities:,} activities to {activities}")
    return 0


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line naming the flag, plus where to get help."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n(see '{self.prog} --help')\n")


def cmd_validate(args: argparse.Namespace) -> int:
    from sim.validation.checks import validate, validation_table

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


def _add_run_arguments(parser: argparse.ArgumentParser, report: bool = True) -> None:
    """Flags shared by the verbs that simulate: replications, seed, jobs or cluster, output folder."""
    _add_experiment_arguments(parser)
    parser.add_argument(
        "--replications", "-n", type=_positive_int, help="replications (default: from the file)"
    )
    parser.add_argument("--seed", type=_seed, help="root seed (default: from the file)")
    parser.add_argument(
        "--jobs",
        "-j",
        type=_positive_int,
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
        "--out", type=Path, default=DEFAULT_RESULTS, help="results root folder (default: results/)"
    )
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    if report:
        parser.add_argument(
            "--no-report", action="store_true", help="skip the figures and report.html/report.pdf"
        )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m sim",
        description="salespulse: simulate leads, reps and cadence policies with honest statistics.",
    )
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)

    def verb(
        name: str, summary: str, description: str, handler: Callable[[argparse.Namespace], int]
    ):
        sub = verbs.add_parser(name, help=summary, description=description)
        sub.set_defaults(handler=handler)
        return sub

    _add_run_arguments(
        verb(
            "run",
            "run one experiment for N replications",
            "Run one experiment and summarise its KPIs.",
            cmd_run,
        )
    )

    compare_parser = verb(
        "compare",
        "compare a baseline cadence with variants on the same seeds",
        "Run the baseline and every variant of the file's compare: section on the same replication seeds; "
        "print paired differences with CIs and p-values and a ranking.",
        cmd_compare,
    )
    _add_run_arguments(compare_parser)
    compare_parser.add_argument(
        "--target-halfwidth",
        metavar="X",
        help="add replications until every paired-difference CI on the comparison KPI is this narrow "
        "(absolute, or relative to the baseline such as 2%%)",
    )
    compare_parser.add_argument(
        "--max-replications",
        type=_positive_int,
        help="upper limit with --target-halfwidth (default: 10x the first batch)",
    )

    sweep_parser = verb(
        "sweep",
        "sweep a grid of parameters",
        "Run every point of the file's sweep: section on the same replication seeds; resumable.",
        cmd_sweep,
    )
    _add_run_arguments(sweep_parser)
    sweep_parser.add_argument(
        "--resume",
        type=Path,
        metavar="RUN_DIR",
        help="continue the interrupted sweep in RUN_DIR (a .partial folder)",
    )
    sweep_parser.add_argument(
        "--yes", action="store_true", help="run grids of more than 10,000 points"
    )

    check_parser = verb(
        "check",
        "validate an experiment file without running it",
        "Validate an experiment file.",
        cmd_check,
    )
    _add_experiment_arguments(check_parser)

    report_parser = verb(
        "report",
        "write figures, report.html and report.pdf for a run folder",
        "Draw the figures and write a self-contained report.html and report.pdf into a finished run folder.",
        cmd_report,
    )
    report_parser.add_argument(
        "run_dir", type=Path, metavar="RUN_DIR", help="a finished run folder"
    )

    tune_parser = verb(
        "tune",
        "tune cadence parameters with Optuna",
        "Search the parameters of the file's tune: section with Optuna (same seeds for every trial, "
        "Wilcoxon pruning), confirm the best on fresh seeds, export the best cadence as YAML. "
        "Rerunning the same command resumes the study.",
        cmd_tune,
    )
    _add_run_arguments(tune_parser)
    tune_parser.add_argument(
        "--trials",
        type=_positive_int,
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

    validate_parser = verb(
        "validate",
        "check the engine against queueing theory and published lead-response figures",
        "Check the engine against Erlang C/A and the published lead-response studies; "
        "exits 1 if any check fails.",
        cmd_validate,
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
    calibrate_parser = verb(
        "calibrate",
        "fit a scenario from a CRM export of leads (and activities)",
        "Fit lead volumes, hour-of-week profiles, response curves (with CIs), funnel rates, "
        "attempts, durations and deal values from a CRM export; write a runnable experiment YAML "
        "and a calibration report (see docs/calibration.md).",
        cmd_calibrate,
    )
    calibrate_parser.add_argument("leads", type=Path, metavar="LEADS.csv", help="one row per lead")
    calibrate_parser.add_argument(
        "--activities", type=Path, metavar="ACTIVITIES.csv", help="one row per call or touch"
    )
    calibrate_parser.add_argument(
        "--out",
        type=Path,
        default=Path("experiments/calibrated.yaml"),
        help="experiment YAML to write (default: experiments/calibrated.yaml)",
    )
    calibrate_parser.add_argument(
        "--report",
        type=Path,
        help="HTML report to write (default: next to --out, .calibration.html)",
    )
    calibrate_parser.add_argument(
        "--base",
        type=Path,
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
        help="base chances by source (default) or by source and owner (selection-bias adjustment)",
    )
    calibrate_parser.add_argument(
        "--skip-bad-rows", action="store_true", help="skip and count bad rows instead of stopping"
    )
    calibrate_parser.add_argument(
        "--seed", type=_seed, default=1, help="seed of the win-rate simulation (default: 1)"
    )

    export_parser = verb(
        "export-leads",
        "write a CRM-style export (leads.csv, activities.csv) of a run's replication",
        "Re-simulate one replication of a finished run folder with a recorder attached and write "
        "leads.csv and activities.csv in the format 'calibrate' reads.",
        cmd_export_leads,
    )
    export_parser.add_argument(
        "run_dir", type=Path, metavar="RUN_DIR", help="a finished run folder"
    )
    export_parser.add_argument(
        "--replication", type=int, default=0, help="which replication (default: 0)"
    )
    export_parser.add_argument(
        "--out", type=Path, help="output folder (default: RUN_DIR/crm/replication-R)"
    )
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
