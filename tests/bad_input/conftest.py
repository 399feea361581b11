"""One way to run the command line on bad input, and one way to judge what it did.

:class:`Cli` runs ``python -m sim`` in process (``sim.cli.main``) from a scratch
working folder, so the default ``results/`` would land there too, and records
every file the command wrote. :func:`assert_bad_input` then checks the contract:
exit status 2, one message naming what was wrong, no traceback, nothing on
stdout and nothing written.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from sim.cli import main

Mutation = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class Outcome:
    """What one command did: exit status, printed text and the files it left behind."""

    status: int
    out: str
    err: str
    written: list[Path] = field(default_factory=list)


@dataclass
class Cli:
    """A scratch folder to write inputs into and run the command line from."""

    folder: Path
    tiny: dict[str, Any]
    capsys: pytest.CaptureFixture[str]

    @property
    def out(self) -> Path:
        """The results root the commands are given (``--out``)."""
        return self.folder / "results"

    def write(self, name: str, content: Any) -> Path:
        """Write *content* (text, bytes, or data dumped as YAML) to *name*; return the path."""
        path = self.folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        elif isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_text(yaml.safe_dump(content, sort_keys=False), encoding="utf-8")
        return path

    def experiment(self, mutate: Mutation | None = None, name: str = "team.yaml") -> Path:
        """The shrunk baseline (see ``shrink`` in tests/conftest.py), changed by *mutate*."""
        if mutate is not None:
            mutate(self.tiny)
        return self.write(name, self.tiny)

    def write_csv(self, name: str, rows: list[list[str]]) -> Path:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(rows)
        return self.write(name, buffer.getvalue())

    def run(self, *argv: Any) -> Outcome:
        """``python -m sim ARGV`` in process, from :attr:`folder`."""
        before = set(self.folder.rglob("*"))
        status = main([str(arg) for arg in argv])
        captured = self.capsys.readouterr()
        written = sorted(set(self.folder.rglob("*")) - before)
        return Outcome(status, captured.out, captured.err, written)


@pytest.fixture
def cli(
    tmp_path: Path,
    tiny: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Cli:
    folder = tmp_path / "work"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return Cli(folder, tiny, capsys)


def assert_bad_input(outcome: Outcome, *phrases: str) -> None:
    """Exit 2, one message holding every phrase, no traceback, nothing printed or written."""
    err = outcome.err
    assert outcome.status == 2, err
    assert "Traceback" not in err
    assert sum("error:" in line for line in err.splitlines()) == 1, err  # one message
    for phrase in phrases:
        assert phrase in err, f"{phrase!r} not in:\n{err}"
    assert outcome.out == ""
    assert outcome.written == [], f"written: {outcome.written}"
