"""``python -m sim tune``: shared studies, killed workers, bad input and the exported cadence.

Workers are real processes (``python -m sim tune ...``) on one study, in a journal file
(the default) or a real PostgreSQL server (:mod:`tests.postgres`; skipped on a developer's
machine without one, failing in CI). The experiments are the baseline shrunk to one
measured week with two reps (``tiny``), a few replications per trial and two parameters.

How many trials a study ends with: ``--trials N`` is Optuna's ``MaxTrialsCallback`` on
COMPLETE + PRUNED trials. Each worker checks the count after each of its own trials, so
once the N-th trial finishes, every *other* worker may still finish the one trial it
has in progress (or has just started) and then stops: with W workers the study ends
with at least N and at most N + W - 1 finished trials. One worker ends with exactly N.
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
from tests.postgres import postgres_server

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
    return optuna.load_study(study_name=study, storage=storage).get_trials(deepcopy=False)


def snapshot(trials: list[optuna.trial.FrozenTrial]) -> list[tuple[Any, ...]]:
    """What must not change: each trial's number, state, parameters and value(s)."""
    return [(t.number, t.state, t.params, t.values) for t in trials]


def check_shared_study(trials: list[optuna.trial.FrozenTrial], n: int, workers: int) -> None:
    """The study several workers filled together (see the module docstring for the bounds)."""
    states = [t.state for t in trials]
    finished = sum(state in FINISHED for state in states)
    assert n <= finished <= n + workers - 1, (finished, states)
    assert optuna.trial.TrialState.RUNNING not in states, states
    assert set(states) <= set(FINISHED), states  # nothing failed, waiting or running
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
def test_jobs_2_shares_a_postgresql_study(
    postgres_url: str, tiny: dict[str, Any], write_yaml: Callable[..., Path], tmp_path: Path
) -> None:
    trials = 8
    experiment = write_yaml(tune_data(tiny, "jobs2_pg"), "jobs2_pg.yaml")
    log = tmp_path / "tune.log"
    worker = start(tune_args(experiment, tmp_path / "out", trials, 2, postgres_url), tmp_path, log)
    wait_ok(worker, log)
    check_shared_study(trials_of(postgres_url, "jobs2_pg"), trials, workers=2)


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
    from sim.config import ConfigError
    from sim.experiment import validate_experiment
    from sim.tuning import study as tuning

    experiment = validate_experiment(tune_data(tiny), "tiny")
    spec = tuning.StorageSpec(None, tmp_path / "tiny.journal")
    creator = optuna.create_study(storage=spec.open(), study_name="tiny", direction="maximize")
    monkeypatch.setattr(tuning, "STUDY_SETUP_SECONDS", 0.5)
    with pytest.raises(ConfigError, match="created but never set up"):  # its creator died
        tuning.open_study(experiment, spec, "tiny")

    def finish_setting_up() -> None:
        time.sleep(0.3)
        space = tuning.search_space(experiment)
        creator.enqueue_trial(tuning.baseline_values(experiment, space), {"baseline": True})
        for key, value in tuning._identity(experiment, space).items():
            creator.set_user_attr(key, value)

    monkeypatch.setattr(tuning, "STUDY_SETUP_SECONDS", 30)
    setup = threading.Thread(target=finish_setting_up)
    setup.start()
    try:
        study = tuning.open_study(experiment, spec, "tiny")  # waits, then finds the same identity
    finally:
        setup.join()
    [baseline] = study.get_trials(deepcopy=False)
    assert baseline.user_attrs["baseline"] is True


# --- a worker killed mid-trial ---------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("where", ["journal", "postgresql"])
def test_a_killed_worker_leaves_its_trial_failed_and_the_study_resumes(
    where: str,
    request: pytest.FixtureRequest,
    tiny: dict[str, Any],
    write_yaml: Callable[..., Path],
    tmp_path: Path,
) -> None:
    # Slower trials than elsewhere, so that one is surely still running when it is killed:
    # ten times the leads for ten reps (still one week), and 40 replications per trial.
    name = f"killed_{where}"
    data = tune_data(tiny, name, replications=40)
    for source in data["scenario"]["sources"]:
        source["leads_per_week"] *= 10
    data["scenario"]["reps"][0]["count"] = 10
    experiment = write_yaml(data, f"{name}.yaml")
    out = tmp_path / "results"
    trials = 4
    grace = 2
    env = {"SALESPULSE_TUNE_HEARTBEAT_SECONDS": "1", "SALESPULSE_TUNE_GRACE_SECONDS": str(grace)}
    journal = journal_of(out, name)
    url = request.getfixturevalue("postgres_url") if where == "postgresql" else None
    args = tune_args(experiment, out, trials, storage=url)

    def storage() -> Any:  # a fresh look at the study, as another process would have
        return optuna.storages.RDBStorage(url) if url else journal_storage(journal)

    killed: list[int] = []
    for _attempt in range(3):  # the running trial may finish in the instant before the kill
        log = tmp_path / "killed.log"
        worker = start(args, tmp_path, log, **env)
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
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
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
    assert len(run_folders(out, name)) == 1  # only the rerun finished and wrote one


@pytest.mark.filterwarnings(
    "ignore:Heartbeat of storage is supposed to be used with Study.optimize"
)
def test_a_finished_study_still_fails_the_trial_of_a_dead_worker(
    tiny: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The rerun after a kill may find --trials reached already: it runs no trial, yet the
    # dead worker's trial must not stay RUNNING.
    from sim.experiment import validate_experiment
    from sim.tuning import study as tuning

    monkeypatch.setenv("SALESPULSE_TUNE_HEARTBEAT_SECONDS", "1")
    monkeypatch.setenv("SALESPULSE_TUNE_GRACE_SECONDS", "1")
    experiment = validate_experiment(tune_data(tiny), "tiny")
    spec = tuning.StorageSpec(None, tmp_path / "tiny.journal")
    assert (spec.heartbeat_seconds, spec.grace_seconds) == (1, 1)
    study = tuning.open_study(experiment, spec, "tiny")
    study.tell(study.ask(), 1.0)  # the baseline finished
    dead = study.ask()  # a worker started this trial, beat once, and died
    spec.open().record_heartbeat(dead._trial_id)
    time.sleep(1.5)
    plan = tuning.WorkerPlan(experiment, spec, "tiny", trials=1, timeout_seconds=None)
    previous = signal.getsignal(signal.SIGINT)
    try:
        tuning.work(plan)  # one finished trial: nothing to run
    finally:
        signal.signal(signal.SIGINT, previous)
    states = [t.state for t in tuning.reload(spec, "tiny").get_trials(deepcopy=False)]
    assert states == [optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.FAIL]


@pytest.mark.skipif(os.name != "posix", reason="the journal's flock lock is POSIX only")
def test_a_killed_writer_does_not_leave_the_journal_locked(tmp_path: Path) -> None:
    import fcntl

    from sim.tuning.study import _ProcessFileLock

    path = tmp_path / "study.journal.flock"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from sim.tuning.study import _ProcessFileLock; "
            "_ProcessFileLock(Path(sys.argv[1])).acquire(); print('locked', flush=True); "
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
    lock = _ProcessFileLock(path)
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


def test_unreachable_database_exits_2(
    tiny: dict[str, Any], write_yaml: Callable[..., Path], tmp_path: Path, capsys
) -> None:
    out = tmp_path / "results"
    url = "postgresql+psycopg2://u@127.0.0.1:1/db"
    code, err = tune_in_process(write_yaml(tune_data(tiny)), out, 3, capsys, "--storage", url)
    assert code == 2
    assert err.startswith(f"error: --storage {url}: "), err
    try:
        import psycopg2  # noqa: F401

        assert "cannot open the study storage" in err, err
    except ImportError:
        assert "driver is not installed" in err, err
    assert "Traceback" not in err
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
    code, err = tune_in_process(write_yaml(data), out, 3, capsys)
    assert code == 2
    assert err.strip() == (
        "error: tune.parameters.policy.followup.max_attempts: low (6) is above high (2)"
    ), err
    assert not out.exists()


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
    done = subprocess.run(
        sim_command("run", str(best), "-n", "2", "-j", "1", "-q", "--no-report", "--out", "runs"),
        cwd=tmp_path,
        env=sim_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert run_folders(tmp_path / "runs", f"tiny-trial-{chosen}")
