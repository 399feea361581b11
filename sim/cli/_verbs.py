"""One function per verb (``tune`` aside): parse what argparse left, call the Python API, print.

Every check that can fail on bad input (the experiment, the size guard, ``--out``)
runs before any simulation, so a mistake costs seconds, not the run.
"""

from __future__ import annotations

import argparse
import sys
import time

from sim.analysis import (
    Checkpoint,
    HalfWidthTarget,
    Meanwhile,
    arms,
    compare,
    refuse_large_grid,
    replication_limit,
    run,
    sweep,
    sweep_points,
)
from sim.cli._shared import (
    check_size,
    finish,
    interrupted,
    load,
    progress_bar,
    runs_per_replication,
    source,
    uncertainty_lines,
    workers,
)
from sim.config import ConfigError
from sim.engine.kpis import KPIS
from sim.experiment import check_uncertain_inputs, estimate_workload
from sim.report.display import comparison_tables, summary_table, sweep_table
from sim.report.formatting import in_currency
from sim.report.run_folder import import_report_code
from sim.report.saving import (
    check_results_root,
    save_comparison,
    save_run,
    save_sweep,
    sweep_folder,
)


def while_simulating(args: argparse.Namespace) -> Meanwhile:
    """What this process does while the workers simulate: import the report's code (0.4 s)."""
    return None if args.no_report else import_report_code


def cmd_check(args: argparse.Namespace) -> int:
    experiment = load(args)
    if experiment.uncertain:
        check_uncertain_inputs(experiment, source(args))
    if experiment.compare is not None:
        arms(experiment, source(args))  # each variant a valid experiment
    if experiment.tune is not None:
        from sim.tuning import checked_search_space  # Optuna loads only for a tune: section

        checked_search_space(experiment, source(args))  # each range and named choice valid
    scenario = experiment.scenario
    workload = estimate_workload([experiment], experiment.replications)
    print(
        f"{source(args)}: OK: experiment {experiment.name!r}, "
        f"{len(scenario.sources)} lead source(s), {experiment.policy.rep_count(scenario)} reps, "
        f"{experiment.replications} replications\n"
        f"run: {workload.describe()}"
    )
    if experiment.uncertain:
        print(
            f"uncertain: {len(experiment.uncertain)} input(s), each valid at both ends of its "
            "distribution; run or compare with --uncertainty to draw plausible worlds"
        )
    if workload.too_large:
        print("warning: beyond the size limit: run, compare and sweep need --yes", file=sys.stderr)
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    experiment = load(args)
    n = experiment.replications
    runs = runs_per_replication(args)
    check_size(estimate_workload([experiment], n * runs), args)
    check_results_root(args.out, experiment.name)
    where = workers(args)
    started = time.perf_counter()
    with progress_bar(args, n * runs, experiment.name) as bar:
        result = run(
            experiment,
            jobs=where,
            progress=bar.update,
            uncertainty=args.uncertainty,
            source=source(args),
            meanwhile=while_simulating(args),
        )
    wall = time.perf_counter() - started
    saved = save_run(result, args.out, jobs=args.jobs, wall_seconds=wall, report=not args.no_report)
    kind = "plausible worlds" if args.uncertainty else "replications"
    title = f"{experiment.name}: {n} {kind}, seed {experiment.seed}, {wall:.1f} s"
    with in_currency(experiment.scenario.economics):
        print(summary_table(result.summary, title))
        if result.uncertainty is not None:
            print()
            print(uncertainty_lines(result.uncertainty, "profit"))
    finish(saved.path, saved.warnings)
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    experiment = load(args)
    labelled = arms(experiment, source(args))  # bad variants fail here, before any simulation
    target = HalfWidthTarget.parse(args.target_halfwidth) if args.target_halfwidth else None
    if args.max_replications is not None and target is None:
        raise ConfigError("--max-replications: only used with --target-halfwidth")
    first = experiment.replications
    most = replication_limit(first, args.max_replications) if target else first
    runs = runs_per_replication(args)
    check_size(estimate_workload([arm for _, arm in labelled], most * runs), args)
    check_results_root(args.out, experiment.name)
    where = workers(args)
    started = time.perf_counter()
    with progress_bar(args, first * len(labelled) * runs, experiment.name) as bar:

        def next_batch(done: int, widest: float) -> None:
            bar.total = bar.n + first * len(labelled) * runs
            bar.set_postfix_str(f"{done} reps, widest half-width {widest:,.4g}")

        result = compare(
            experiment,
            jobs=where,
            target=target,
            max_replications=args.max_replications,
            progress=bar.update,
            on_batch=next_batch,
            source=source(args),
            uncertainty=args.uncertainty,
            meanwhile=while_simulating(args),
        )
    wall = time.perf_counter() - started
    saved = save_comparison(
        experiment, result, args.out, jobs=args.jobs, wall_seconds=wall, report=not args.no_report
    )
    kind = "plausible worlds" if args.uncertainty else "replications"
    print(
        f"{experiment.name}: {len(labelled)} policies x {result.replications} {kind} on the same seeds "
        f"(seed {experiment.seed}), {wall:.1f} s"
    )
    with in_currency(experiment.scenario.economics):
        print(
            comparison_tables(
                {r.label: r.summary for r in result.results}, result.differences, result.kpi
            )
        )
    print(f"\nRanking by {KPIS[result.kpi].label.lower()}:")
    for _, row in result.ranking.iterrows():
        group = "best" if row["group"] == 1 else "below the best"
        print(f"  {row['rank']}. {row['policy']} ({group}): {row['verdict']}")
    print(
        "(best: the top policy and those that cannot be told apart from it and are not worse "
        "than the baseline; paired t-tests, "
        "Holm-adjusted for the number of policies)"
    )
    for run_result in result.results:
        line = uncertainty_lines(run_result.uncertainty, result.kpi, run_result.label)
        if line:
            print(line)
    print(f"Stopped: {result.stopped_because}")
    finish(saved.path, saved.warnings)
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    experiment = load(args)
    refuse_large_grid(experiment, args.yes, source(args))
    points = sweep_points(experiment, source(args))  # every point is valid before anything runs
    size = len(points)
    n = experiment.replications
    check_size(estimate_workload([point for _, point in points], n), args)
    if args.resume is None:
        check_results_root(args.out, experiment.name)
    where = workers(args)
    partial = sweep_folder(experiment, args.out, args.resume)
    checkpoint = Checkpoint(partial)
    done = len(checkpoint.load())
    started = time.perf_counter()
    try:
        with progress_bar(args, (size - done) * n, experiment.name) as bar:
            result = sweep(
                experiment,
                jobs=where,
                progress=bar.update,
                checkpoint=checkpoint,
                source=source(args),
                meanwhile=while_simulating(args),
            )
        saved = save_sweep(
            result,
            partial,
            jobs=args.jobs,
            wall_seconds=time.perf_counter() - started,
            report=not args.no_report,
            resumed_points=done,
        )
    except KeyboardInterrupt:
        return interrupted(args, len(checkpoint.load()), size, partial)
    with in_currency(experiment.scenario.economics):
        print(
            sweep_table(
                result,
                experiment.sweep.kpi,
                title=f"{experiment.name}: {size} points x {n} replications",
            )
        )
    finish(saved.path, saved.warnings)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from sim.report.report import write_report
    from sim.sensitivity import is_sensitivity_folder, write_sensitivity_report

    write = write_sensitivity_report if is_sensitivity_folder(args.run_dir) else write_report
    html, pdf = write(args.run_dir)
    print(f"Report: {html}\n        {pdf}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from sim.validation.checks import validate, validation_summary, validation_table

    started = time.perf_counter()
    rows = validate(quick=args.quick, jobs=args.jobs, seed=args.seed)
    print(validation_table(rows))
    mode = "quick" if args.quick else "full"
    print(
        f"\n{validation_summary(rows)} "
        f"({mode} validation, seed {args.seed}, {time.perf_counter() - started:.0f} s)"
    )
    return 0 if all(row.passed for row in rows) else 1


def cmd_calibrate(args: argparse.Namespace) -> int:
    from sim.calibration import (
        CalibrationOptions,
        ReadOptions,
        calibrate,
        default_report_path,
        experiment_name,
        parse_mapping,
        write_calibration,
    )

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
    if cal.experiment is not None and cal.experiment.uncertain:
        print(
            f"With the uncertainty of its {len(cal.experiment.uncertain)} fitted values: "
            f"python -m sim run {out} --uncertainty"
        )
    return 0


def cmd_export_leads(args: argparse.Namespace) -> int:
    from sim.calibration import export_replication

    leads, activities, n_leads, n_activities = export_replication(
        args.run_dir, args.replication, args.out
    )
    print(f"Wrote {n_leads:,} leads to {leads}\n  and {n_activities:,} activities to {activities}")
    return 0
