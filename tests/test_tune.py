"""``python -m sim tune``: shared studies, killed workers, bad input and the exported cadence.

Workers are real processes (``python -m sim tune ...``) on one study, in a journal file
(the default) or a real PostgreSQL server (:mod:`tests.postgres`; skipped on a developer's
machine without one, failing in CI). The experiments are the baseline shrunk to one
measured week with two reps (``tiny``), a few replications per trial and two parameters.

How many trials a study ends with: ``--trials N`` counts COMPLETE + PRUNED trials (the
baseline is one). A worker starts a trial only while fewer than N are finished or
running, so one worker ends with exactly N; with W workers that look at the same
instant the study may end with up to N + W - 1. A proposal repeating the settings of an
evaluated or running trial is told FAIL unevaluated (user attribute ``repeat_of``):
no study here may evaluate one set of settings twice.

PostgreSQL URLs are written as README writes them (``postgresql://user:password@...``,
see :mod:`tests.postgres`); that password must never appear in any output.
"""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import optuna
import pandas as pd
import pytest
import yaml

from sim.cli import main
from sim.experiment import load_experiment
from sim.tuning import database_url, search_space
from tests.postgres import PASSWORD, postgres_server

REPO = Path(__file__).resolve().parent.parent
FINISHED = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)

optuna.logging.set_verbosity(optuna.logging.WARNING)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL server for the session (see tests/postgres.py)."""
    with postgres_server() as url:
        yield url


# --- helpers -------------------------------------------------------------------------------


def tune_data(tiny: dict[str, Any], name: str = "tiny", replications: int = 3) -> dict[str, Any]:
    """The tiny experiment with a tune: section over two parameters."""
    data = copy.deepcopy(tiny)
    data["name"] = name
    data["tune"] = {
        "replications": replications,
        "confirm_top": 1,
        "confirm_replications": 2,
        "parameters": {
            "policy.speed_to_lead.response_target": {"low": "1m", "high": "2h", "log": True},
            "policy.followup.max_attempts": {"low": 1, "high": 8},
        },
    }
    return data


def discrete_tune_data(tiny: dict[str, Any], name: str) -> dict[str, Any]:
    """Two discrete parameters (40 settings): workers seeded alike would propose alike."""
    data = tune_data(tiny, name)
    data["tune"]["parameters"]["policy.speed_to_lead.response_target"] = {
        "choices": ["1m", "5m", "15m", "1h", "2h"]
    }
    return data


def sim_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "sim", *args]


def sim_env(**extra: str) -> dict[str, str]:
    path = os.pathsep.join([str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])])
    return {**os.environ, "PYTHONPATH": path, **extra}


def tune_args(
    experiment: Path, out: Path, trials: int, jobs: int = 1, storage: str | None = None
) -> list[str]:
    args = ["tune", str(experiment), "--trials", str(trials), "-j", str(jobs), "-q"]
    args += ["--no-report", "--out", str(out)]
    return [*args, "--storage", storage] if storage else args


def run_sim(args: list[str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``python -m sim ARGS`` to its end, its output captured as text."""
    return subprocess.run(
        sim_command(*args), cwd=cwd, env=sim_env(), capture_output=True, text=True, timeout=timeout
    )


def start(args: list[str], cwd: Path, log: Path, **env: str) -> subprocess.Popen[bytes]:
    with log.open("wb") as sink:
        return subprocess.Popen(
            sim_command(*args),
            cwd=cwd,
            env=sim_env(**env),
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )


def wait_ok(process: subprocess.Popen[bytes], log: Path, timeout: float = 120) -> None:
    try:
        code = process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        pytest.fail(f"tune worker still running after {timeout} s:\n{log.read_text()}")
    assert code == 0, f"exit {code}:\n{log.read_text()}"


def journal_storage(path: Path) -> optuna.storages.BaseStorage:
    """Read a study's journal file as Optuna does (no heartbeat: we only look)."""
    from optuna.storages.journal import JournalFileBackend

    return optuna.storages.JournalStorage(JournalFileBackend(str(path)))


def journal_of(out: Path, name: str) -> Path:
    return out / name / "studies" / f"{name}.journal"


def trials_of(storage: Any, study: str) -> list[optuna.trial.FrozenTrial]:
    """The study's trials; *storage* is an Optuna storage or a URL in README's form."""
    if isinstance(storage, str):
        storage = optuna.storages.RDBStorage(database_url(storage))
    return optuna.load_study(study_name=study, storage=storage).get_trials(deepcopy=False)


def repeated_settings(trials: Any) -> list[tuple[int, int]]:
    """(trial, earlier trial) for every evaluated trial whose settings an earlier one had."""
    first: dict[str, int] = {}
    repeats = []
    for trial in sorted(trials, key=lambda t: t.number):
        if trial.state not in FINISHED:
            continue
        key = json.dumps(trial.params, sort_keys=True)
        if key in first:
            repeats.append((trial.number, first[key]))
        first.setdefault(key, trial.number)
    return repeats


def snapshot(trials: list[optuna.trial.FrozenTrial]) -> list[tuple[Any, ...]]:
    """What must not change: each trial's number, state, parameters and value(s)."""
    return [(t.number, t.state, t.params, t.values) for t in trials]


def check_shared_study(trials: list[optuna.trial.FrozenTrial], n: int, workers: int) -> None:
    """The study several workers filled together (see the module docstring for the bounds)."""
    states = [t.state for t in trials]
    finished = sum(state in FINISHED for state in states)
    assert n <= finished <= n + workers - 1, (finished, states)
    assert optuna.trial.TrialState.RUNNING not in states, states
    evaluated_or_skipped = [t for t in trials if t.state in FINISHED or "repeat_of" in t.user_attrs]
    assert len(evaluated_or_skipped) == len(trials), states  # nothing failed, waiting or running
    assert not repeated_settings(trials)  # no settings evaluated twice
    numbers = [t.number for t in trials]
    assert sorted(numbers) == list(range(len(trials))), numbers  # unique, none lost
    baseline = [t for t in trials if t.user_attrs.get("baseline") is True]
    assert len(baseline) == 1, [t.number for t in baseline]
    assert baseline[0].state == optuna.trial.TrialState.COMPLETE


def run_folders(out: Path, name: str) -> list[Path]:
    parent = out / name
    if not parent.exists():
        return []
    return sorted(p for p in parent.iterdir() if p.name[:1].isdigit())


def tune_in_process(
    experiment: Path, out: Path, trials: int, capsys: pytest.CaptureFixture[str], *extra: str
) -> tuple[int, str]:
    """``main(["tune", ...])`` in this process; returns the exit status and stderr."""
    capsys.readouterr()
    code = main([*tune_args(experiment, out, trials), *extra])
    return code, capsys.readouterr().err


def assert_refused(
    experiment: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], message: str
) -> None:
    """``tune`` exits 2 with one line ``error: {file}: {message}...`` and writes nothing;
    ``check`` finds the same."""
    out = tmp_path / "results"
    code, err = tune_in_process(experiment, out, 3, capsys)
    assert code == 2
    assert err.startswith(f"error: {experiment}: {message}"), err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not out.exists()  # no study journal, no run folder
    assert main(["check", str(experiment)]) == 2
    assert capsys.readouterr() == ("", err)


# --- several workers on one study ------------------------------------------------------------


@pytest.mark.slow
def test_two_processes_share_a_postgresql_study(
    postgres_url: str, tiny: dict[str, Any], write_yaml: Callable[..., Path], tmp_path: Path
) -> None:
    trials = 8
    experiment = write_yaml(tune_data(tiny, "shared_pg"), "shared_pg.yaml")
    workers = [
        start(
            tune_args(experiment, tmp_path / f"out{i}", trials, storage=postgres_url),
            tmp_path,
            tmp_path / f"worker{i}.log",
        )
        for i in range(2)
    ]
    for i, worker in enumerate(workers):
        wait_ok(worker, tmp_path / f"worker{i}.log")
    check_shared_study(trials_of(postgres_url, "shared_pg"), trials, workers=2)


@pytest.mark.slow
def test_four_workers_on_postgresql_never_repeat_settings_nor_show_the_password(
    postgres_url: str, tiny: dict[str, Any], write_yaml: Callable[..., Path], tmp_path: Path
) -> None:
    # --jobs 4 on README's URL form, with the password given twice (user info and query).
    # Discrete settings and a constraint: workers seeded alike would propose alike, and
    # Optuna 5 warns about the deprecated constraints_func; the report is drawn too.
    trials = 8
    second_secret = "query-secret-9c2e"
    url = f"{postgres_url}&password={second_secret}"
    data = discrete_tune_data(tiny, "jobs4_pg")
    data["tune"]["constraints"] = [{"kpi": "utilisation", "max": 0.99}]
    experiment = write_yaml(data, "jobs4_pg.yaml")
    out = tmp_path / "out"
    args = [*tune_args(experiment, out, trials, 4, url)]
    args.remove("--no-report")
    done = run_sim(args, tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr
    study = trials_of(postgres_url, "jobs4_pg")
    check_shared_study(study, trials, workers=4)
    finished = sum(t.state in FINISHED for t in study)
    assert f"trials: {finished} of {trials} trials finished" in done.stdout, done.stdout
    assert done.stderr.startswith("study 'jobs4_pg' in postgresql://postgres:***@/"), done.stderr
    assert "Warning" not in done.stderr, done.stderr  # no FutureWarning, no tight_layout

    [folder] = run_folders(out, "jobs4_pg")
    manifest = json.loads((folder / "manifest.json").read_text())
    assert "postgresql://postgres:***@/" in manifest["command"], manifest["command"]
    assert "password=***" in manifest["storage"], manifest["storage"]
    # The report's provenance shows the command, redacted (report.pdf draws the same text
    # as glyphs, which no byte search can read; it comes from the same manifest).
    assert "postgresql://postgres:***@/" in (folder / "report.html").read_text()
    written = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert len(written) > 10
    for secret in (PASSWORD, second_secret):
        assert secret not in done.stdout and secret not in done.stderr
        for path in written:
            if path.name != "jobs4_pg.yaml":
                assert secret.encode() not in path.read_bytes(), path


@pytest.mark.slow
def test_two_processes_share_a_journal_study(
    tiny: dict[str, Any], write_yaml: Callable[..., Path], tmp_path: Path
) -> None:
    trials = 8
    out = tmp_path / "results"  # one --out: both use results/shared_journal/studies/...journal
    experiment = write_yaml(tune_data(tiny, "shared_journal"), "shared_journal.yaml")
    workers = [
        start(tune_args(experiment, out, trials), tmp_path, tmp_path / f"worker{i}.log")
        for i in range(2)
    ]
    for i, worker in enumerate(workers):
        wait_ok(worker, tmp_path / f"worker{i}.log")
    journal = journal_of(out, "shared_journal")
    check_shared_study(trials_of(journal_storage(journal), "shared_journal"), trials, workers=2)
    assert len(run_folders(out, "shared_journal")) == 2  # each process confirms and writes its own


def test_a_worker_waits_for_the_creator_of_the_study_to_set_it_up(
    tiny: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Workers started together: one creates the study, then enqueues the baseline and stores
    # the study's identity (experiment, space, ...); the others find it before that is done.
    # A creator that died before that is replaced: the study is set up by the next process.
    import sim.tuning._study as study_module
    from sim.experiment import validate_experiment
    from sim.tuning import StorageSpec, baseline_values, open_study, search_space

    experiment = validate_experiment(tune_data(tiny), "tiny")
    orphaned = StorageSpec(None, tmp_path / "orphaned.journal")
    optuna.create_study(storage=orphaned.open(), study_name="tiny", direction="maximize")
    monkeypatch.setattr(study_module, "STUDY_SETUP_SECONDS", 0.5)
    started = time.monotonic()
    adopted = open_study(experiment, orphaned, "tiny")  # its creator died: set it up
    assert time.monotonic() - started >= 0.5  # after giving the creator its time
    [baseline] = adopted.get_trials(deepcopy=False)
    assert baseline.user_attrs["baseline"] is True
    assert adopted.user_attrs["experiment"] == "tiny"
    assert len(open_study(experiment, orphaned, "tiny").get_trials(deepcopy=False)) == 1

    spec = StorageSpec(None, tmp_path / "tiny.journal")
    creator = optuna.create_study(storage=spec.open(), study_name="tiny", direction="maximize")
    identity = dict(adopted.user_attrs)

    def finish_setting_up() -> None:
        time.sleep(0.3)
        creator.enqueue_trial(
            baseline_values(experiment, search_space(experiment)), {"baseline": True}
        )
        for key, value in identity.items():
            creator.set_user_attr(key, value)

    monkeypatch.setattr(study_module, "STUDY_SETUP_SECONDS", 30)
    setup = threading.Thread(target=finish_setting_up)
    setup.start()
    try:
        study = open_study(experiment, spec, "tiny")  # waits, then finds the same identity
    finally:
        setup.join()
    [baseline] = study.get_trials(deepcopy=False)
    assert baseline.user_attrs["baseline"] is True


class Killed(BaseException):
    """Stands for SIGKILL: nothing after it runs, no ``except Exception`` catches it."""


def test_setting_up_a_study_survives_a_kill_at_every_write(
    tiny: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every write to a journal goes through JournalFileBackend.append_logs: the creator is
    # "killed" before its first, second, ... write, until a set-up completes untouched.
    # Each time the next process must find a usable study: one baseline, the identity.
    from optuna.storages.journal import JournalFileBackend

    import sim.tuning._storage as storage_module
    import sim.tuning._study as study_module
    from sim.experiment import validate_experiment
    from sim.tuning import StorageSpec, open_study
    from sim.tuning._workers import WorkerPlan, work

    writes_left = [0]

    class DyingBackend(JournalFileBackend):
        def append_logs(self, logs: list[dict[str, Any]]) -> None:
            if writes_left[0] == 0:
                raise Killed
            writes_left[0] -= 1
            super().append_logs(logs)

    monkeypatch.setattr(storage_module, "JournalFileBackend", DyingBackend)
    monkeypatch.setattr(study_module, "STUDY_SETUP_SECONDS", 0.1)
    experiment = validate_experiment(tune_data(tiny), "tiny")
    cut_short: list[StorageSpec] = []
    while True:
        spec = StorageSpec(None, tmp_path / f"killed-at-{len(cut_short)}" / "tiny.journal")
        writes_left[0] = len(cut_short)
        try:
            open_study(experiment, spec, "tiny")
        except Killed:
            cut_short.append(spec)
        else:
            break  # the whole set-up took fewer writes: every moment was tried
        writes_left[0] = 10**9
        study = open_study(experiment, spec, "tiny")  # the next process
        trials = study.get_trials(deepcopy=False)
        assert [t.user_attrs.get("baseline") for t in trials] == [True], len(cut_short)
        assert study.user_attrs["experiment"] == "tiny"
    assert len(cut_short) >= 3  # before the study, before the baseline, before the identity

    writes_left[0] = 10**9
    previous = signal.getsignal(signal.SIGINT)
    try:
        work(WorkerPlan(experiment, cut_short[1], "tiny", trials=2, timeout_seconds=None))
    finally:
        signal.signal(signal.SIGINT, previous)
    final = trials_of(cut_short[1].open(), "tiny")
    assert [t.state for t in final] == [optuna.trial.TrialState.COMPLETE] * 2
    assert [bool(t.user_attrs.get("baseline")) for t in final] == [True, False]


# --- a worker killed mid-trial ---------------------------------------------------------------


def children(pid: int) -> list[int]:
    """The live child processes of *pid* (Linux /proc)."""
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(c) for c in path.read_text().split()] if path.exists() else []


def alive(pid: int) -> bool:
    """True while *pid* runs (a zombie waiting for its reaper counts as gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


@pytest.mark.slow
@pytest.mark.parametrize(("where", "jobs"), [("journal", 2), ("postgresql", 1)])
def test_a_killed_worker_leaves_its_trial_failed_and_the_study_resumes(
    where: str,
    jobs: int,
    request: pytest.FixtureRequest,
    tiny: dict[str, Any],
    write_yaml: Callable[..., Path],
    tmp_path: Path,
) -> None:
    # Slower trials than elsewhere, so that one is surely still running when it is killed:
    # ten times the leads for ten reps (still one week), and 40 replications per trial.
    # With --jobs 2 the parent is killed: its two workers must end by themselves. The
    # rerun (one worker) must not repeat the settings the killed run evaluated.
    name = f"killed_{where}"
    data = tune_data(tiny, name, replications=40)
    for source in data["scenario"]["sources"]:
        source["leads_per_week"] *= 10
    data["scenario"]["reps"][0]["count"] = 10
    experiment = write_yaml(data, f"{name}.yaml")
    out = tmp_path / "results"
    trials = 8  # with 4, the faster engine could finish (2 pruned at once) before a kill
    grace = 2
    env = {"SALESPULSE_TUNE_HEARTBEAT_SECONDS": "1", "SALESPULSE_TUNE_GRACE_SECONDS": str(grace)}
    journal = journal_of(out, name)
    url = request.getfixturevalue("postgres_url") if where == "postgresql" else None
    args = tune_args(experiment, out, trials, storage=url)
    first_args = tune_args(experiment, out, trials, jobs, storage=url)

    def storage() -> Any:  # a fresh look at the study, as another process would have
        return optuna.storages.RDBStorage(database_url(url)) if url else journal_storage(journal)

    killed: list[int] = []
    for _attempt in range(3):  # the running trial may finish in the instant before the kill
        log = tmp_path / "killed.log"
        worker = start(first_args, tmp_path, log, **env)
        deadline = time.monotonic() + 60
        look = None
        while True:
            assert worker.poll() is None, (
                f"the worker ended before it was killed:\n{log.read_text()}"
            )
            assert time.monotonic() < deadline, "no trial was seen running after a finished one"
            if look is None and (url or journal.exists()):
                look = storage()
            try:
                states = [t.state for t in trials_of(look, name)] if look else []
            except KeyError:  # the study is not created yet
                states = []
            if optuna.trial.TrialState.COMPLETE in states and (
                optuna.trial.TrialState.RUNNING in states
            ):
                break
            time.sleep(0.02)
        workers = children(worker.pid)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
        if jobs > 1:
            assert len(workers) >= jobs, workers  # the workers (and multiprocessing's tracker)
            deadline = time.monotonic() + 10
            while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert not [pid for pid in workers if alive(pid)], "workers outlived their parent"
        after_kill = trials_of(storage(), name)
        killed = [t.number for t in after_kill if t.state == optuna.trial.TrialState.RUNNING]
        if killed:
            break
    assert killed, "could not kill the worker while a trial was running"
    complete_before = {
        t.number: t.values for t in after_kill if t.state == optuna.trial.TrialState.COMPLETE
    }
    assert complete_before  # the finished trials are kept

    time.sleep(grace + 1)  # the killed trial's heartbeat is now older than the grace period
    log = tmp_path / "rerun.log"
    wait_ok(start(args, tmp_path, log, **env), log)

    final = {t.number: t for t in trials_of(storage(), name)}
    for number in killed:
        assert final[number].state == optuna.trial.TrialState.FAIL
    for number, values in complete_before.items():
        assert final[number].state == optuna.trial.TrialState.COMPLETE
        assert final[number].values == values
    states = [t.state for t in final.values()]
    assert optuna.trial.TrialState.RUNNING not in states
    assert sum(s in FINISHED for s in states) == trials  # one worker at a time: exactly N
    assert sorted(final) == list(range(len(final)))
    assert sum(bool(t.user_attrs.get("baseline")) for t in final.values()) == 1
    assert not repeated_settings(final.values())  # the rerun's sampler was seeded afresh
    assert len(run_folders(out, name)) == 1  # only the rerun finished and wrote one


def test_a_finished_study_still_fails_the_trial_of_a_dead_worker(
    tiny: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The rerun after a kill may find --trials reached already: it runs no trial, yet the
    # dead worker's trial must not stay RUNNING.
    from sim.experiment import validate_experiment
    from sim.tuning import StorageSpec, open_study
    from sim.tuning._storage import heartbeat
    from sim.tuning._workers import WorkerPlan, work

    monkeypatch.setenv("SALESPULSE_TUNE_HEARTBEAT_SECONDS", "1")
    monkeypatch.setenv("SALESPULSE_TUNE_GRACE_SECONDS", "1")
    experiment = validate_experiment(tune_data(tiny), "tiny")
    spec = StorageSpec(None, tmp_path / "tiny.journal")
    assert (spec.heartbeat_seconds, spec.grace_seconds) == (1, 1)
    study = open_study(experiment, spec, "tiny")
    study.tell(study.ask(), 1.0)  # the baseline finished
    dead = study.ask()  # a worker started this trial, beat once, and died
    backend = spec.open()
    study_id = backend.get_study_id_from_name("tiny")
    with heartbeat(backend, backend.get_trial_id_from_study_id_trial_number(study_id, 1), 60):
        pass
    assert "heartbeat" in trials_of(spec.open(), "tiny")[dead.number].system_attrs
    time.sleep(1.5)
    plan = WorkerPlan(experiment, spec, "tiny", trials=1, timeout_seconds=None)
    previous = signal.getsignal(signal.SIGINT)
    try:
        work(plan)  # one finished trial: nothing to run
    finally:
        signal.signal(signal.SIGINT, previous)
    states = [t.state for t in trials_of(spec.open(), "tiny")]
    assert states == [optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.FAIL]


def test_a_repeated_proposal_is_skipped_not_evaluated(tiny: dict[str, Any], tmp_path: Path) -> None:
    # A proposal with the settings of an evaluated trial (here: the baseline's settings,
    # enqueued again as an ordinary trial) is told FAIL unevaluated, and another is asked.
    from sim.experiment import validate_experiment
    from sim.tuning import StorageSpec, baseline_values, open_study, search_space
    from sim.tuning._workers import WorkerPlan, work

    experiment = validate_experiment(tune_data(tiny), "tiny")
    spec = StorageSpec(None, tmp_path / "tiny.journal")
    study = open_study(experiment, spec, "tiny")
    study.enqueue_trial(baseline_values(experiment, search_space(experiment)))
    previous = signal.getsignal(signal.SIGINT)
    try:
        work(WorkerPlan(experiment, spec, "tiny", trials=2, timeout_seconds=None))
    finally:
        signal.signal(signal.SIGINT, previous)
    trials = trials_of(spec.open(), "tiny")
    assert [t.state.name for t in trials] == ["COMPLETE", "FAIL", "COMPLETE"]
    assert trials[1].user_attrs["repeat_of"] == 0
    assert "replications_run" not in trials[1].user_attrs  # not one replication was run
    assert trials[1].params == trials[0].params != trials[2].params


def test_sampler_seeds_differ_by_trial_number_and_follow_the_experiment_seed() -> None:
    from sim.tuning import trial_seed

    seeds = [trial_seed(7, number) for number in range(2000)]
    assert len(set(seeds)) == len(seeds)  # no two trials (workers, restarts) draw alike
    assert seeds == [trial_seed(7, number) for number in range(2000)]  # reproducible
    assert trial_seed(8, 0) != trial_seed(7, 0)


def test_one_worker_with_the_same_seed_proposes_the_same_trials(
    tiny: dict[str, Any], tmp_path: Path
) -> None:
    from sim.experiment import validate_experiment
    from sim.tuning import StorageSpec, open_study
    from sim.tuning._workers import WorkerPlan, work

    experiment = validate_experiment(tune_data(tiny), "tiny")
    studies = []
    for run in ("first", "second"):
        spec = StorageSpec(None, tmp_path / run / "tiny.journal")
        open_study(experiment, spec, "tiny")
        previous = signal.getsignal(signal.SIGINT)
        try:
            work(WorkerPlan(experiment, spec, "tiny", trials=4, timeout_seconds=None))
        finally:
            signal.signal(signal.SIGINT, previous)
        studies.append(snapshot(trials_of(spec.open(), "tiny")))
    assert studies[0] == studies[1]
    assert len({json.dumps(params, sort_keys=True) for _, _, params, _ in studies[0]}) == 4


@pytest.mark.skipif(os.name != "posix", reason="the journal's flock lock is POSIX only")
def test_a_killed_writer_does_not_leave_the_journal_locked(tmp_path: Path) -> None:
    import fcntl

    from sim.tuning._storage import ProcessFileLock

    path = tmp_path / "study.journal.flock"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from sim.tuning._storage import ProcessFileLock; "
            "ProcessFileLock(Path(sys.argv[1])).acquire(); print('locked', flush=True); "
            "time.sleep(120)",
            str(path),
        ],
        env=sim_env(),
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == b"locked"
        probe = os.open(path, os.O_RDWR)
        try:
            with pytest.raises(BlockingIOError):  # held by the other process
                fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(probe)
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
    started = time.monotonic()
    lock = ProcessFileLock(path)
    lock.acquire()  # at once: the OS released the dead process's lock
    lock.release()
    assert time.monotonic() - started < 1


# --- bad input: exit 2, a clear message, the existing study untouched --------------------------


def test_malformed_storage_url_exits_2(
    tiny: dict[str, Any], write_yaml: Callable[..., Path], tmp_path: Path, capsys
) -> None:
    out = tmp_path / "results"
    experiment = write_yaml(tune_data(tiny))
    code, err = tune_in_process(experiment, out, 3, capsys, "--storage", "notaurl")
    assert code == 2
    assert err.startswith("error: --storage notaurl: expected a database URL"), err
    assert "Traceback" not in err
    assert not out.exists()


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql+psycopg2://u@127.0.0.1:1/db", "postgresql+psycopg2://u@127.0.0.1:1/db"),
        (  # README's form, with the password twice: neither may be printed
            "postgresql://u:hunter2-a@127.0.0.1:1/db?password=hunter2-b&connect_timeout=5",
            "postgresql://u:***@127.0.0.1:1/db?password=***&connect_timeout=5",
        ),
    ],
)
def test_unreachable_database_exits_2(
    url: str,
    shown: str,
    tiny: dict[str, Any],
    write_yaml: Callable[..., Path],
    tmp_path: Path,
    capsys,
) -> None:
    out = tmp_path / "results"
    code, err = tune_in_process(write_yaml(tune_data(tiny)), out, 3, capsys, "--storage", url)
    assert code == 2
    assert err.startswith(f"error: --storage {shown}: "), err
    try:
        import psycopg2  # noqa: F401

        assert "cannot open the study storage" in err, err
    except ImportError:
        assert "driver is not installed" in err, err
    assert "Traceback" not in err
    assert "hunter2" not in err
    assert not out.exists()


@pytest.mark.parametrize("where", ["journal", "postgresql"])
def test_a_study_with_another_search_space_is_refused_and_left_alone(
    where: str,
    request: pytest.FixtureRequest,
    tiny: dict[str, Any],
    write_yaml: Callable[..., Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "results"
    study = f"space_{where}"
    extra = ["--study", study]
    if where == "postgresql":
        extra += ["--storage", request.getfixturevalue("postgres_url")]
        storage: Any = extra[-1]
    else:
        storage = None
    data = tune_data(tiny)
    code, err = tune_in_process(write_yaml(data, "first.yaml"), out, 3, capsys, *extra)
    assert code == 0, err
    if storage is None:
        storage = journal_storage(journal_of(out, "tiny").with_name(f"{study}.journal"))
    before = snapshot(trials_of(storage, study))
    folders = run_folders(out, "tiny")

    data["tune"]["parameters"]["policy.followup.max_attempts"]["high"] = 6
    code, err = tune_in_process(write_yaml(data, "changed.yaml"), out, 6, capsys, *extra)
    assert code == 2
    assert err.startswith(f"error: --study {study}: a study with this name exists"), err
    assert "different space" in err
    assert "Traceback" not in err
    if where == "journal":
        storage = journal_storage(journal_of(out, "tiny").with_name(f"{study}.journal"))
    assert snapshot(trials_of(storage, study)) == before
    assert run_folders(out, "tiny") == folders


def test_a_constraint_on_an_unknown_kpi_exits_2(
    tiny: dict[str, Any], write_yaml: Callable[..., Path], tmp_path: Path, capsys
) -> None:
    data = tune_data(tiny)
    data["tune"]["constraints"] = [{"kpi": "happiness", "max": 1}]
    out = tmp_path / "results"
    experiment = write_yaml(data)
    code, err = tune_in_process(experiment, out, 3, capsys)
    assert code == 2
    assert err.startswith(f"error: {experiment}: tune.constraints[0].kpi"), err
    assert "unknown KPI 'happiness'" in err
    assert not out.exists()


def test_a_range_with_low_above_high_exits_2(
    tiny: dict[str, Any], write_yaml: Callable[..., Path], tmp_path: Path, capsys
) -> None:
    data = tune_data(tiny)
    data["tune"]["parameters"]["policy.followup.max_attempts"] = {"low": 6, "high": 2}
    out = tmp_path / "results"
    path = write_yaml(data)
    code, err = tune_in_process(path, out, 3, capsys)
    assert code == 2
    assert err.strip() == (
        f"error: {path}: tune.parameters.policy.followup.max_attempts: low (6) is above high (2)"
    ), err
    assert not out.exists()


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"low": 1, "high": 8, "step": 0}, "max_attempts.step: expected a step > 0, got 0"),
        ({"low": 1, "high": 8, "step": -2}, "max_attempts.step: expected a step > 0, got -2"),
        ({"low": 1, "high": 8, "step": "abc"}, "max_attempts.step: "),
        ({"low": 1, "high": 8, "step": 1.5}, "max_attempts.step: expected a whole-number step"),
        ({"low": 1, "high": 8, "step": 2}, "max_attempts: high - low (7) is not a multiple"),
        ({"low": 1, "high": 8, "log": True, "step": 1}, "max_attempts.step: a log range cannot"),
        ({"low": 1, "high": 8, "log": "yes"}, "max_attempts.log: expected true or false"),
        ({"low": float("nan"), "high": 8}, "max_attempts.low: expected a finite number, got nan"),
        ({"low": 1, "high": float("inf")}, "max_attempts.high: expected a finite number, got inf"),
        ({"low": 1, "high": [8]}, "max_attempts.high: expected a number or a duration"),
        ({"choices": []}, "max_attempts.choices: expected a non-empty list"),
        ({"choices": [1, [2]]}, "max_attempts.choices: expected plain values"),
        ({"low": 1}, "max_attempts: expected low and high (or choices)"),
        ({"low": 1, "high": 8, "steps": 1}, "max_attempts: unknown key(s) steps"),
    ],
)
def test_a_bad_parameter_range_exits_2_naming_it_and_writes_nothing(
    spec: dict[str, Any],
    message: str,
    tiny: dict[str, Any],
    write_yaml: Callable[..., Path],
    tmp_path: Path,
    capsys,
) -> None:
    data = tune_data(tiny)
    data["tune"]["parameters"]["policy.followup.max_attempts"] = spec
    assert_refused(write_yaml(data), tmp_path, capsys, f"tune.parameters.policy.followup.{message}")


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--timeout", "-5"], "error: --timeout -5.0: expected a number of seconds > 0"),
        (["--timeout", "nan"], "error: --timeout nan: expected a number of seconds > 0"),
        (["--timeout", "inf"], "error: --timeout inf: expected a number of seconds > 0"),
        (
            ["--trials", "41"],
            "error: --trials 41: the search space holds only 40 distinct settings",
        ),
    ],
)
def test_a_bad_budget_exits_2_and_writes_nothing(
    flags: list[str],
    message: str,
    tiny: dict[str, Any],
    write_yaml: Callable[..., Path],
    tmp_path: Path,
    capsys,
) -> None:
    out = tmp_path / "results"
    experiment = write_yaml(discrete_tune_data(tiny, "tiny"))
    code, err = tune_in_process(experiment, out, 3, capsys, *flags)
    assert code == 2
    assert err.startswith(message), err
    assert not out.exists()


def test_an_out_folder_that_is_a_file_exits_2_before_any_trial(
    tiny: dict[str, Any], write_yaml: Callable[..., Path], tmp_path: Path, capsys
) -> None:
    experiment = write_yaml(tune_data(tiny))
    blocker = tmp_path / "results"
    blocker.write_text("not a folder")
    for out in (blocker, blocker / "below"):
        code, err = tune_in_process(experiment, out, 3, capsys)
        assert code == 2
        assert err.startswith(f"error: --out {out}: expected a folder, but it "), err
    assert blocker.read_text() == "not a folder"


def test_zero_trials_exits_2(
    tiny: dict[str, Any], write_yaml: Callable[..., Path], tmp_path: Path, capsys
) -> None:
    out = tmp_path / "results"
    code, err = tune_in_process(write_yaml(tune_data(tiny)), out, 0, capsys)
    assert code == 2
    assert "argument --trials: expected a whole number >= 1, got '0'" in err, err
    assert not out.exists()


def test_a_bad_heartbeat_setting_exits_2(
    tiny: dict[str, Any],
    write_yaml: Callable[..., Path],
    tmp_path: Path,
    capsys,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SALESPULSE_TUNE_GRACE_SECONDS", "soon")
    out = tmp_path / "results"
    code, err = tune_in_process(write_yaml(tune_data(tiny)), out, 3, capsys)
    assert code == 2
    assert "SALESPULSE_TUNE_GRACE_SECONDS='soon': expected whole seconds >= 1" in err, err
    assert not out.exists()


# --- a successful run: trials, confirmation and the exported cadence ---------------------------


@pytest.mark.slow
def test_best_yaml_runs_and_the_run_folder_confirms_the_tuned_trial(
    tiny: dict[str, Any],
    write_yaml: Callable[..., Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "results"
    trials = 6
    code, err = tune_in_process(write_yaml(tune_data(tiny)), out, trials, capsys)
    assert code == 0, err
    [folder] = run_folders(out, "tiny")
    manifest = json.loads((folder / "manifest.json").read_text())
    [chosen] = manifest["chosen_trials"]

    table = pd.read_csv(folder / "trials.csv")
    assert table["state"].isin(["COMPLETE", "PRUNED"]).sum() == trials
    assert table["baseline"].sum() == 1
    assert chosen in set(table.loc[table["state"] == "COMPLETE", "trial"])

    differences = pd.read_csv(folder / "differences.csv")
    assert set(differences["policy"]) == {f"trial_{chosen}"}  # the tuned trial vs the baseline
    profit = differences[differences["kpi"] == "profit"]
    assert len(profit) == 1 and profit["baseline_mean"].notna().all()
    assert manifest["baseline"] == "baseline"

    best = folder / "best.yaml"
    tuned = yaml.safe_load(best.read_text())
    assert "tune" not in tuned and tuned["name"] == f"tiny-trial-{chosen}"
    done = run_sim(
        ["run", str(best), "-n", "2", "-j", "1", "-q", "--no-report", "--out", "runs"], tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert run_folders(tmp_path / "runs", f"tiny-trial-{chosen}")


# --- named choices: searching a sequence's channel order ---------------------------------------

CALLS_ONLY = [{"call": "0m"}, {"call": "1h"}, {"call": "1d"}]
EMAIL_FIRST = [{"call": "0m"}, {"email": "10m"}, {"call": "1h"}, {"call": "1d"}]
TEXT_FIRST = [{"call": "0m"}, {"sms": "10m"}, {"call": "1h"}, {"email": "4h"}, {"call": "1d"}]


def sequence_tune_data(tiny: dict[str, Any]) -> dict[str, Any]:
    """The tiny experiment on a calls-only sequence, tuning its channel order and exit rule."""
    data = tune_data(tiny, replications=2)
    data["policy"]["followup"] = {"name": "sequence", "steps": CALLS_ONLY}
    data["tune"]["parameters"] = {
        "policy.followup.steps": {
            "choices": {
                "calls_only": CALLS_ONLY,
                "email_first": EMAIL_FIRST,
                "text_first": TEXT_FIRST,
            }
        },
        "policy.followup.exit": {
            "choices": {"reply_ends": ["reached", "replied"], "reply_renews": ["reached"]}
        },
    }
    return data


@pytest.mark.slow
def test_a_study_chooses_the_channel_order_by_name_and_best_yaml_runs_it(
    tiny: dict[str, Any], write_yaml: Callable[..., Path], tmp_path: Path, capsys
) -> None:
    out = tmp_path / "results"
    code, err = tune_in_process(write_yaml(sequence_tune_data(tiny)), out, 4, capsys)
    assert code == 0, err
    [folder] = run_folders(out, "tiny")
    table = pd.read_csv(folder / "trials.csv")
    evaluated = table[table["state"].isin(["COMPLETE", "PRUNED"])]
    assert len(evaluated) == 4
    baseline = table[table["baseline"]].iloc[0]  # the experiment's own steps, found by name
    assert baseline["param:policy.followup.steps"] == "calls_only"
    assert baseline["param:policy.followup.exit"] == "reply_ends"
    assert set(table["param:policy.followup.steps"]) <= {"calls_only", "email_first", "text_first"}
    assert (
        evaluated[["param:policy.followup.steps", "param:policy.followup.exit"]]
        .value_counts()
        .max()
        == 1
    )

    [chosen] = json.loads((folder / "manifest.json").read_text())["chosen_trials"]
    row = table.set_index("trial").loc[chosen]
    tuned = yaml.safe_load((folder / "best.yaml").read_text())["policy"]["followup"]
    names = {"calls_only": CALLS_ONLY, "email_first": EMAIL_FIRST, "text_first": TEXT_FIRST}
    assert tuned["steps"] == names[row["param:policy.followup.steps"]]  # the value, not the name
    exits = {"reply_ends": ["reached", "replied"], "reply_renews": ["reached"]}
    assert tuned["exit"] == exits[row["param:policy.followup.exit"]]
    done = run_sim(
        ["run", str(folder / "best.yaml"), "-n", "2", "-q", "--no-report", "--out", "runs"],
        tmp_path,
    )
    assert done.returncode == 0, done.stderr


def test_named_steps_may_hold_another_number_of_calls(
    tiny: dict[str, Any], write_yaml: Callable[..., Path], capsys
) -> None:
    """The experiment's own steps must not pin the calls of the others (docs/channels.md)."""
    data = sequence_tune_data(tiny)
    two_calls = [{"call": "0m"}, {"email": "10m"}, {"call": "1d"}, {"sms": "2d"}]
    data["tune"]["parameters"]["policy.followup.steps"]["choices"]["two_calls"] = two_calls
    path = write_yaml(data)
    assert search_space(load_experiment(path)).named["policy.followup.steps"]["two_calls"]
    assert main(["check", str(path)]) == 0, capsys.readouterr().err


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"policy.followup.steps": {"choices": {}}},
            "tune.parameters.policy.followup.steps.choices: expected at least one name: value",
        ),
        (
            {"policy.followup.steps": {"choices": {"calls_only": CALLS_ONLY}, "log": True}},
            "tune.parameters.policy.followup.steps: named choices take no other key, got log",
        ),
        (
            {
                "policy.followup.steps": {
                    "choices": {"calls_only": CALLS_ONLY, "x": [{"fax": "0m"}]}
                }
            },
            "tune.parameters.policy.followup.steps.choices.x: ",
        ),
        (
            {"policy.followup.steps": {"choices": {"calls_only": CALLS_ONLY, 3: EMAIL_FIRST}}},
            "tune.parameters.policy.followup.steps.choices: expected names as text, got 3",
        ),
        (
            {"policy.followup.steps": {"choices": {"email_first": EMAIL_FIRST}}},
            "tune.parameters.policy.followup.steps.choices: expected the experiment's own setting "
            "among the choices",
        ),
        (
            {"policy.followup.steps[1]": {"choices": [{"call": "2h"}]}},
            "tune.parameters.policy.followup.steps[1].choices: expected plain values",
        ),
        (
            {"policy.followup.steps[1].call": {"low": "30m", "high": "2h"}},
            "tune.parameters.policy.followup.steps[1].call: it lies inside policy.followup.steps, "
            "which is chosen by name; tune the whole value or its parts, not both",
        ),
    ],
)
def test_bad_named_choices_exit_2_naming_the_field_and_write_nothing(
    change: dict[str, Any],
    message: str,
    tiny: dict[str, Any],
    write_yaml: Callable[..., Path],
    tmp_path: Path,
    capsys,
) -> None:
    data = sequence_tune_data(tiny)
    data["tune"]["parameters"].update(change)
    assert_refused(write_yaml(data), tmp_path, capsys, message)
