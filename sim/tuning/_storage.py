"""Where a study lives, and how a dead worker's trial is noticed: storages and heartbeats.

A study persists in one of Optuna's own storages: a journal file under
``results/<experiment>/studies/`` by default (safe for several local processes), or a
PostgreSQL database (``--storage postgresql://user:password@host/db``) for workers on
several machines. ``postgresql://`` means the psycopg2 driver, which the ``postgres``
extra installs.

Heartbeats use Optuna's public storage interface only. While a trial runs, a thread in
its worker records the time as the trial system attribute ``heartbeat`` every
``HEARTBEAT_SECONDS`` (10). A RUNNING trial whose last beat (or, before its first beat,
whose start) is older than ``GRACE_SECONDS`` (60) belongs to a dead worker, e.g. a
killed process: :func:`fail_stale_trials` marks it FAIL, and every worker calls it when
it opens the study and before each trial. The environment variables
``SALESPULSE_TUNE_HEARTBEAT_SECONDS`` and ``SALESPULSE_TUNE_GRACE_SECONDS`` (whole
seconds >= 1) override the two, e.g. to test a killed worker quickly.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import optuna
from optuna.storages import BaseStorage, JournalStorage, RDBStorage
from optuna.storages.journal import JournalFileBackend
from optuna.trial import TrialState

from sim.config import ConfigError
from sim.report.run_folder import redact_secrets

HEARTBEAT_SECONDS = 10
"""How often a running trial records that its worker is alive."""
GRACE_SECONDS = 60
"""A running trial whose worker has been silent this long is marked failed."""
HEARTBEAT_ENV = "SALESPULSE_TUNE_HEARTBEAT_SECONDS"
GRACE_ENV = "SALESPULSE_TUNE_GRACE_SECONDS"
"""Environment variables overriding the two numbers above (whole seconds >= 1), e.g. for tests."""
HEARTBEAT_ATTR = "heartbeat"
"""The trial system attribute holding the time (seconds since the epoch) of the last beat."""
POSTGRES_DRIVER = "postgresql+psycopg2"
"""What a plain ``postgresql://`` (or ``postgres://``) URL means: the driver the extra installs."""


def _seconds_from_env(name: str, default: int) -> int:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise ConfigError(f"environment variable {name}={text!r}: expected whole seconds >= 1")
    return value


class ProcessFileLock:
    """The journal's write lock: ``flock`` on ``<journal>.flock``, which the OS releases when
    its process dies, even by SIGKILL.

    Optuna's default lock is a symlink that a killed process leaves behind, and every
    other worker then waits 30 s before it breaks the lock. ``JournalFileBackend`` only
    calls ``acquire()`` and ``release()``. Readers (Optuna, the dashboard) take no lock.
    """

    def __init__(self, path: Path) -> None:
        self._path = str(path)
        self._fd: int | None = None

    def acquire(self) -> bool:
        import fcntl

        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        return True

    def release(self) -> None:
        import fcntl

        fd, self._fd = self._fd, None
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


def database_url(url: str) -> str:
    """*url* as SQLAlchemy should read it: ``postgresql://`` names the psycopg2 driver.

    SQLAlchemy 2.1 reads a bare ``postgresql://`` as psycopg 3, which salespulse does
    not install; every other URL is returned unchanged.
    """
    for bare in ("postgresql://", "postgres://"):
        if url.startswith(bare):
            return f"{POSTGRES_DRIVER}://{url.removeprefix(bare)}"
    return url


@dataclass(frozen=True)
class StorageSpec:
    """Where the study lives: a journal file (default) or a database URL. Picklable for workers."""

    url: str | None
    journal: Path | None
    heartbeat_seconds: int = field(
        default_factory=lambda: _seconds_from_env(HEARTBEAT_ENV, HEARTBEAT_SECONDS)
    )
    grace_seconds: int = field(default_factory=lambda: _seconds_from_env(GRACE_ENV, GRACE_SECONDS))

    def open(self) -> BaseStorage:
        """The Optuna storage (creating the journal file and its folder if needed)."""
        if self.journal is not None:
            try:
                self.journal.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ConfigError(
                    f"--out: cannot make the study folder {self.journal.parent} ({exc.strerror})"
                ) from None
            lock = (
                ProcessFileLock(self.journal.with_name(self.journal.name + ".flock"))
                if os.name == "posix"
                else None
            )
            return JournalStorage(JournalFileBackend(str(self.journal), lock_obj=lock))  # type: ignore[arg-type]
        assert self.url is not None
        try:
            return self._open_database()
        except ImportError as exc:
            raise ConfigError(
                f"--storage {self.describe()}: the database driver is not installed ({exc}); "
                "install it with pip install -e '.[postgres]'"
            ) from None
        except Exception as exc:  # malformed URL, unreachable server, refused login
            text = str(exc).strip()
            reason = text.splitlines()[0] if text else type(exc).__name__
            raise ConfigError(
                f"--storage {self.describe()}: cannot open the study storage ({redact_secrets(reason)})"
            ) from None

    def _open_database(self) -> RDBStorage:
        """RDBStorage, retried when another worker creates Optuna's tables at the same moment.

        On a fresh database, workers started together all run ``CREATE TABLE``; PostgreSQL
        lets one win and fails the others with a unique violation (IntegrityError) or
        "already exists" (ProgrammingError). A retry finds the tables there.
        """
        import sqlalchemy.exc

        assert self.url is not None
        for attempt in range(5):
            try:
                return RDBStorage(database_url(self.url), engine_kwargs={"pool_pre_ping": True})
            except (sqlalchemy.exc.IntegrityError, sqlalchemy.exc.ProgrammingError):
                if attempt == 4:
                    raise
                time.sleep(0.2 * (attempt + 1))
        raise AssertionError("unreachable")

    def describe(self) -> str:
        """The journal path, or the URL as given with its password replaced by ``***``."""
        return str(self.journal) if self.journal is not None else redact_secrets(self.url or "")

    def dashboard_argument(self) -> str:
        """What to give ``optuna-dashboard`` to watch this study (password redacted)."""
        return self.describe() if self.url is None else redact_secrets(database_url(self.url))


def storage_spec(url: str | None, out: Path, experiment_name: str, study: str) -> StorageSpec:
    """The default journal ``out/<experiment>/studies/<study>.journal`` unless a URL is given.

    Checks the URL's form only; :meth:`StorageSpec.open` connects.
    """
    if url is None:
        return StorageSpec(None, out / experiment_name / "studies" / f"{study}.journal")
    shown = redact_secrets(url)
    if url.startswith("sqlite"):
        raise ConfigError(
            f"--storage {shown}: SQLite cannot take several workers on one file; leave --storage out "
            "for the default journal file, or use postgresql://... to scale out"
        )
    if "://" not in url:
        raise ConfigError(
            f"--storage {shown}: expected a database URL such as postgresql://user:password@host/db"
        )
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        make_url(database_url(url))
    except (ArgumentError, ValueError):
        raise ConfigError(
            f"--storage {shown}: not a database URL; expected e.g. postgresql://user:password@host/db"
        ) from None
    return StorageSpec(url, None)


# -- heartbeats -------------------------------------------------------------------------


@contextlib.contextmanager
def heartbeat(storage: BaseStorage, trial_id: int, interval_seconds: float) -> Iterator[None]:
    """Record the trial's heartbeat now and every *interval_seconds* while the block runs."""
    stop = threading.Event()

    def beat() -> None:
        while True:
            # A missed beat is not fatal (a database blip): the next one may get through.
            with contextlib.suppress(Exception):
                storage.set_trial_system_attr(trial_id, HEARTBEAT_ATTR, time.time())
            if stop.wait(interval_seconds):
                return

    thread = threading.Thread(target=beat, name=f"heartbeat-{trial_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def fail_stale_trials(storage: BaseStorage, study_name: str, grace_seconds: float) -> list[int]:
    """Mark FAIL every RUNNING trial silent for longer than *grace_seconds*; their numbers.

    Two workers may look at once: the second finds the trial finished already and
    leaves it.
    """
    study_id = storage.get_study_id_from_name(study_name)
    now = time.time()
    failed = []
    for trial in storage.get_all_trials(study_id, deepcopy=False, states=(TrialState.RUNNING,)):
        started = trial.datetime_start.timestamp() if trial.datetime_start else now
        if now - trial.system_attrs.get(HEARTBEAT_ATTR, started) <= grace_seconds:
            continue
        trial_id = storage.get_trial_id_from_study_id_trial_number(study_id, trial.number)
        with contextlib.suppress(optuna.exceptions.UpdateFinishedTrialError):
            if storage.set_trial_state_values(trial_id, TrialState.FAIL):
                failed.append(trial.number)
    return failed
