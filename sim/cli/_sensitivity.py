"""The ``sensitivity`` verb: which uncertain inputs the chosen KPIs depend on (SALib, on the same seeds)."""

from __future__ import annotations

import argparse
import time

from sim.analysis import Checkpoint
from sim.cli._shared import (
    add_run_arguments,
    add_verb,
    check_size,
    file_path,
    finish,
    interrupted,
    load,
    positive_int,
    progress_bar,
    source,
    workers,
)
from sim.experiment import estimate_workload
from sim.report.saving import check_results_root
from sim.sensitivity import DEFAULT_SAMPLES, METHODS

TOP = 3
"""Inputs the terminal names for each KPI."""


def add_sensitivity_verb(verbs: argparse._SubParsersAction) -> None:
    parser = add_verb(
        verbs,
        "sensitivity",
        "which uncertain inputs the KPIs depend on (Morris or Sobol)",
        "Vary the inputs of the file's uncertain: section over their distributions (a SALib design: "
        "Morris elementary effects to screen, Sobol indices with CIs to quantify), every point on the "
        "same replication seeds; write tables, a tornado and a Sobol chart; resumable.",
        cmd_sensitivity,
    )
    add_run_arguments(parser, report=False)
    parser.add_argument(
        "--method", choices=METHODS, default="sobol", help="sobol (default) or morris"
    )
    parser.add_argument(
        "--samples",
        type=positive_int,
        help=f"Sobol base samples (a power of 2; default {DEFAULT_SAMPLES['sobol']}) or Morris "
        f"trajectories (default {DEFAULT_SAMPLES['morris']})",
    )
    parser.add_argument(
        "--kpi",
        dest="kpis",
        action="append",
        metavar="KPI",
        help="KPI to analyse (repeatable; default: profit)",
    )
    parser.add_argument(
        "--resume",
        type=file_path,
        metavar="RUN_DIR",
        help="continue the interrupted analysis in RUN_DIR (a .partial folder)",
    )


def cmd_sensitivity(args: argparse.Namespace) -> int:
    from sim.sensitivity import (  # matplotlib and SALib: only for this verb
        InputSetter,
        check_request,
        design_size,
        paired_variant,
        save_sensitivity,
        sensitivity,
        sensitivity_folder,
        write_sensitivity_report,
    )

    experiment = load(args)
    kpis = args.kpis or ["profit"]
    samples = args.samples or DEFAULT_SAMPLES[args.method]
    check_request(args.method, samples, kpis)
    setter = InputSetter(experiment, source(args))
    setter.check()  # every field takes its extreme values before anything runs
    points = design_size(args.method, samples, len(setter.inputs))
    n = experiment.replications
    paired = paired_variant(experiment)
    cadences = 2 if paired else 1
    check_size(estimate_workload([experiment] * points * cadences, n), args)
    if args.resume is None:
        check_results_root(args.out, experiment.name)
    where = workers(args)
    design = {"method": args.method, "samples": samples, "kpis": kpis}
    partial = sensitivity_folder(experiment, args.out, design, args.resume)
    checkpoint = Checkpoint(partial)
    done = len(checkpoint.load())
    started = time.perf_counter()
    try:
        with progress_bar(args, (points - done) * n * cadences, experiment.name) as bar:
            result = sensitivity(
                experiment,
                method=args.method,
                samples=samples,
                kpis=kpis,
                jobs=where,
                progress=bar.update,
                checkpoint=checkpoint,
                source=source(args),
            )
        saved = save_sensitivity(
            result,
            partial,
            seed=experiment.seed,
            replications=n,
            jobs=args.jobs,
            wall_seconds=time.perf_counter() - started,
            experiment=experiment.name,
        )
    except KeyboardInterrupt:
        return interrupted(args, len(checkpoint.load()), points, partial)
    against = f" for {paired[1]} against {paired[0]}" if paired else ""
    print(
        f"{experiment.name}: {args.method}, {points} points x {n} replications on the same seeds "
        f"(seed {experiment.seed}){against}"
    )
    for kpi in result.kpis:
        ranking = result.ranking(kpi)
        index = ranking["index"].iloc[0] if len(ranking) else ""
        print(
            f"\n{result.labels[kpi]}: the {min(TOP, len(ranking))} inputs that matter most ({index}, 95% CI)"
        )
        for rank, row in ranking.head(TOP).iterrows():
            print(
                f"  {rank + 1}. {row['input']}: {row['value']:.3g} ({row['ci_low']:.3g} to {row['ci_high']:.3g})"
            )
    write_sensitivity_report(saved)
    finish(saved, [])
    return 0
