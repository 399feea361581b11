"""A throwaway PostgreSQL server for the tests: ``postgres_server()`` yields its URL.

The server is Debian's ``postgresql`` package (``.ci/run`` installs it): ``initdb`` and
``pg_ctl`` from PATH or ``/usr/lib/postgresql/*/bin``. It lives in a fresh folder under
the system temporary folder, listens on a unix socket in that folder only (no TCP port,
so parallel runs cannot collide), trusts local connections and is stopped with
``pg_ctl stop -m fast`` at the end, its folder removed.

PostgreSQL refuses to run as root, and CI runs as root: then the server runs as the
``postgres`` OS user (``runuser -u postgres --``) in a folder chowned to it.

Without the binaries (or the psycopg2 driver) the tests that need the server are skipped
on a developer's machine and fail in CI (``CI`` set), where they must run.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

DATABASE = "salespulse"
SUPERUSER = "postgres"
PASSWORD = "pg-secret-4b1d"
"""Given in every URL, as README's ``postgresql://user:password@host/db`` is; the server
trusts local connections, so it is never checked, and no output may ever show it."""


def in_ci() -> bool:
    """True when the CI environment variable says so (CI=true, as CI sets it)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def unavailable(reason: str) -> None:
    """Skip the test (developer's machine) or fail it (CI, where the server must be there)."""
    if in_ci():
        pytest.fail(f"PostgreSQL tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(f"{reason} (install it: apt-get install -y postgresql; pip install -e '.[dev]')")


def binaries() -> Path | None:
    """The folder holding initdb and pg_ctl: PATH first, else the newest /usr/lib/postgresql/*/bin."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(os.path.realpath(found)).parent
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: [int(x) if x.isdigit() else 0 for x in Path(p).parent.parent.name.split(".")],
    )
    for initdb in reversed(versions):
        folder = Path(initdb).parent
        if (folder / "pg_ctl").exists():
            return folder
    return None


def _as_server_user(command: list[str]) -> list[str]:
    """*command* run as the ``postgres`` OS user when we are root (initdb refuses root)."""
    if os.geteuid() == 0:
        return ["runuser", "-u", SUPERUSER, "--", *command]
    return command


def _run(command: list[str], cwd: Path, timeout: float = 120) -> None:
    done = subprocess.run(
        _as_server_user(command),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "LC_ALL": "C", "LANG": "C"},
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
        )


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """Start a fresh server with one database; yield its URL in README's form; stop it.

    The URL is ``postgresql://postgres:<PASSWORD>@/salespulse?host=<socket folder>``: the
    plain ``postgresql://`` scheme, which salespulse maps to the psycopg2 driver.
    """
    folder_of_binaries = binaries()
    if folder_of_binaries is None:
        unavailable(
            "PostgreSQL is not installed (no initdb on PATH or in /usr/lib/postgresql/*/bin)"
        )
    try:
        import psycopg2  # noqa: F401
    except ImportError:
        unavailable("the psycopg2 driver is not installed (pip install psycopg2-binary)")
    assert folder_of_binaries is not None
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam(SUPERUSER)
        except KeyError:
            unavailable("running as root and there is no 'postgres' OS user to run the server")
    # Directly under /tmp (short, for the socket path's 107-byte limit; pytest's own tmp
    # folders are private to root and the postgres user could not enter them).
    root = Path(tempfile.mkdtemp(prefix="salespulse-pg-"))
    data = root / "data"
    started = False
    try:
        if os.geteuid() == 0:
            os.chown(root, owner.pw_uid, owner.pw_gid)
        os.chmod(root, 0o700)
        bin_ = str(folder_of_binaries)
        _run(
            [
                f"{bin_}/initdb",
                "-D",
                str(data),
                "-U",
                SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--no-sync",
            ],
            cwd=root,
        )
        options = (
            f"-k {root} -c listen_addresses='' -c fsync=off -c synchronous_commit=off "
            "-c full_page_writes=off -c max_connections=60"
        )
        _run(
            [
                f"{bin_}/pg_ctl",
                "-D",
                str(data),
                "-l",
                str(root / "server.log"),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "start",
            ],
            cwd=root,
        )
        started = True
        _run([f"{bin_}/createdb", "-h", str(root), "-U", SUPERUSER, DATABASE], cwd=root)
        yield f"postgresql://{SUPERUSER}:{PASSWORD}@/{DATABASE}?host={root}"
    finally:
        if started:
            with contextlib.suppress(Exception):
                _run(
                    [f"{folder_of_binaries}/pg_ctl", "-D", str(data), "-m", "fast", "-w", "stop"],
                    cwd=root,
                )
        shutil.rmtree(root, ignore_errors=True)
