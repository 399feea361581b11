"""CRM exports: the recorder's files, and every kind of bad input to ``calibrate``.

Bad input is a clear one-line error naming the file, the line and the column, with
exit status 2 and nothing written; ``--skip-bad-rows`` skips and counts such rows
instead, and the report lists how many were skipped and why.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from sim.calibration import (
    ReadOptions,
    parse_mapping,
    read_activities,
    read_leads,
    simulate_export,
)
from sim.cli import main
from sim.config import ConfigError
from sim.engine.streams import replication_seeds
from sim.experiment import load_experiment

SMALL = ["scenario.horizon=1w", "scenario.warmup=0m", "scenario.drain=1w"]


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[list[str]]]:
    """A small valid export (the baseline, one week plus a week of drain) as rows of text."""
    experiment = load_experiment(None, SMALL)
    recorder = simulate_export(
        experiment.scenario, experiment.policy, replication_seeds(experiment.seed, 1)[0]
    )
    folder = tmp_path_factory.mktemp("good")
    leads, activities = recorder.write(folder)
    return {
        "leads": list(csv.reader(leads.read_text(encoding="utf-8").splitlines())),
        "activities": list(csv.reader(activities.read_text(encoding="utf-8").splitlines())),
    }


def write(path: Path, rows: list[list[str]], delimiter: str = ",", encoding: str = "utf-8") -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\n").writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def copy_rows(good: dict[str, list[list[str]]], name: str) -> list[list[str]]:
    return [list(row) for row in good[name]]


def calibrate_cli(tmp_path: Path, leads: Path, *args: str) -> int:
    out = tmp_path / "out" / "team.yaml"
    return main(["calibrate", str(leads), "--out", str(out), "--seed", "1", *args])


def assert_bad(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, status: int, *fragments: str
) -> str:
    err = capsys.readouterr().err
    assert status == 2, err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err, err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    return err


def col(rows: list[list[str]], name: str) -> int:
    return rows[0].index(name)


# --------------------------------------------------------------------------- the recorder


def test_recorder_writes_one_row_per_lead_and_the_documented_values(
    good: dict[str, list[list[str]]],
) -> None:
    leads = good["leads"]
    header = leads[0]
    ids = [row[0] for row in leads[1:]]
    assert len(ids) == len(set(ids)) > 1000
    assert {row[col(leads, "reached")] for row in leads[1:]} == {"yes", "no"}
    won = [row for row in leads[1:] if row[col(leads, "won")] == "yes"]
    assert won and all(float(row[col(leads, "deal_value")]) > 0 for row in won)
    assert all(row[col(leads, "qualified")] == "yes" for row in won)
    assert {row[col(leads, "source")] for row in leads[1:]} >= {"web_form", "inbound_call"}
    assert "lost_reason" in header
    acts = good["activities"]
    assert acts[0] == ["lead_id", "timestamp", "type", "outcome", "duration_seconds", "owner"]
    calls = [row for row in acts[1:] if row[2] == "call"]
    assert {row[3] for row in calls} == {"connected", "no_answer"}
    # the baseline's unanswered dials take 90 s or 150 s (no answer or voicemail)
    assert {row[4] for row in calls if row[3] == "no_answer"} <= {"90.0", "150.0"}


def test_reading_back_matches_the_rows(good: dict[str, list[list[str]]], tmp_path: Path) -> None:
    leads_path = write(tmp_path / "leads.csv", good["leads"])
    acts_path = write(tmp_path / "activities.csv", good["activities"])
    leads = read_leads(leads_path)
    activities = read_activities(acts_path, leads)
    assert len(leads) == len(good["leads"]) - 1
    assert len(activities) == len(good["activities"]) - 1
    calls = activities.is_call
    assert int(calls.sum()) == sum(1 for row in good["activities"][1:] if row[2] == "call")
    assert set(leads.sources) >= {"web_form", "inbound_call", "purchased_list"}


def test_export_leads_rejects_a_folder_that_is_not_a_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export-leads", str(tmp_path)]) == 2
    assert "not a run folder" in capsys.readouterr().err


# --------------------------------------------------------------------------- bad input


def test_missing_required_column(
    good: dict[str, list[list[str]]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = copy_rows(good, "leads")
    at = col(rows, "created_at")
    rows = [row[:at] + row[at + 1 :] for row in rows]
    status = calibrate_cli(tmp_path, write(tmp_path / "leads.csv", rows))
    assert_bad(
        capsys,
        tmp_path,
        status,
        "leads.csv",
        "line 1",
        "missing required column(s) created_at",
        "--map",
    )


def test_renamed_columns_are_mapped_with_map(
    good: dict[str, list[list[str]]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = copy_rows(good, "leads")
    rows[0][col(rows, "created_at")] = "CreateDate"
    rows[0][col(rows, "lead_id")] = "Id"
    path = write(tmp_path / "leads.csv", rows)
    status = calibrate_cli(tmp_path, path, "--map", "created_at=CreateDate", "lead_id=Id")
    assert status == 0, capsys.readouterr().err
    assert (tmp_path / "out" / "team.yaml").exists()


def test_unknown_map_name(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown column 'created'"):
        parse_mapping(["created=CreateDate"])


def test_unparseable_timestamp_names_the_row_and_column(
    good: dict[str, list[list[str]]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = copy_rows(good, "leads")
    rows[5][col(rows, "created_at")] = "2026-13-45 25:61"
    status = calibrate_cli(tmp_path, write(tmp_path / "leads.csv", rows))
    assert_bad(
        capsys,
        tmp_path,
        status,
        "line 6, column created_at",
        "cannot read the timestamp",
        "2026-13-45 25:61",
    )


def test_naive_timestamps_need_tz(
    good: dict[str, list[list[str]]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = copy_rows(good, "leads")
    for row in rows[1:]:
        for name in ("created_at", "first_attempt_at", "reached_at", "closed_at"):
            row[col(rows, name)] = row[col(rows, name)].removesuffix("+00:00")
    path = write(tmp_path / "leads.csv", rows)
    status = calibrate_cli(tmp_path, path)
    assert_bad(capsys, tmp_path, status, "line 2, column created_at", "no time zone", "--tz")
    leads = read_leads(path, ReadOptions(tz="America/New_York"))
    aware = read_leads(write(tmp_path / "aware.csv", good["leads"]))
    # 00:00 in New York is 05:00 UTC in January: the same wall-clock hours, 5 hours later
    assert leads.created_at[0] - aware.created_at[0] == pytest.approx(300.0)
    assert leads.created_local[0] == pytest.approx(aware.created_local[0])


def test_first_attempt_before_creation(
    good: dict[str, list[list[str]]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = copy_rows(good, "leads")
    line = next(i for i, row in enumerate(rows) if i and row[col(rows, "first_attempt_at")])
    rows[line][col(rows, "first_attempt_at")] = "2025-12-01T09:00:00+00:00"
    status = calibrate_cli(tmp_path, write(tmp_path / "leads.csv", rows))
    assert_bad(
        capsys,
        tmp_path,
        status,
        f"line {line + 1}, column first_attempt_at",
        "first attempt before the lead was created",
    )


def test_negative_duration(
    good: dict[str, list[list[str]]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    leads = write(tmp_path / "leads.csv", good["leads"])
    acts = copy_rows(good, "activities")
    acts[3][col(acts, "duration_seconds")] = "-12"
    path = write(tmp_path / "activities.csv", acts)
    status = calibrate_cli(tmp_path, leads, "--activities", str(path))
    assert_bad(
        capsys, tmp_path, status, "activities.csv", "line 4, column duration_seconds", "negative"
    )


def test_duplicated_lead_ids(
    good: dict[str, list[list[str]]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = copy_rows(good, "leads")
    rows.insert(10, list(rows[3]))
    status = calibrate_cli(tmp_path, write(tmp_path / "leads.csv", rows))
    assert_bad(
        capsys,
        tmp_path,
        status,
        "line 11, column lead_id",
        f"duplicated lead id {rows[3][0]!r}",
        "first seen on line 4",
    )


@pytest.mark.parametrize("content", [b"", b"   \n", b"lead_id,created_at\n"])
def test_empty_file(
    content: bytes, tmp_path: Path, capsys: pytest.CaptureFixture[str], good: dict
) -> None:
    path = tmp_path / "leads.csv"
    if content.startswith(b"lead_id"):
        content = (",".join(good["leads"][0]) + "\n").encode()
    path.write_bytes(content)
    status = calibrate_cli(tmp_path, path)
    err = assert_bad(capsys, tmp_path, status, "leads.csv")
    assert "empty" in err or "no data rows" in err


def test_other_encoding(
    good: dict[str, list[list[str]]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = copy_rows(good, "leads")
    rows[7][col(rows, "owner")] = "José"
    path = write(tmp_path / "leads.csv", rows, encoding="latin-1")
    status = calibrate_cli(tmp_path, path)
    assert_bad(
        capsys, tmp_path, status, "line 8", "cannot read the file as UTF-8", "--encoding latin-1"
    )
    assert calibrate_cli(tmp_path, path, "--encoding", "latin-1") == 0
    utf16 = write(tmp_path / "utf16.csv", rows[:50], encoding="utf-16")
    status = calibrate_cli(tmp_path / "x", utf16)
    assert_bad(capsys, tmp_path / "x", status, "UTF-16", "--encoding utf-16")


def test_other_delimiter(
    good: dict[str, list[list[str]]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "leads.csv", good["leads"], delimiter=";")
    status = calibrate_cli(tmp_path, path)
    assert_bad(capsys, tmp_path, status, "line 1", "semicolon-separated", "--delimiter ';'")
    assert calibrate_cli(tmp_path, path, "--delimiter", ";") == 0


def test_skip_bad_rows_counts_them_and_the_report_lists_why(
    good: dict[str, list[list[str]]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = copy_rows(good, "leads")
    rows[5][col(rows, "created_at")] = "yesterday"
    rows[6][col(rows, "won")] = "maybe"
    rows.insert(10, list(rows[3]))
    leads = write(tmp_path / "leads.csv", rows)
    acts = copy_rows(good, "activities")
    acts[3][col(acts, "duration_seconds")] = "-1"
    acts_path = write(tmp_path / "activities.csv", acts)
    status = calibrate_cli(tmp_path, leads, "--activities", str(acts_path), "--skip-bad-rows")
    err = capsys.readouterr().err
    assert status == 0, err
    dropped = {rows[5][0], rows[6][0]}
    orphans = sum(1 for row in acts[1:] if row[0] in dropped)
    assert "skipped 3 bad row(s)" in err and f"skipped {1 + orphans} bad row(s)" in err
    report = (tmp_path / "out" / "team.calibration.html").read_text(encoding="utf-8")
    for reason in (
        "created_at: cannot read the timestamp",
        "won: expected yes or no",
        "lead_id: duplicated lead id (first row kept)",
        "duration_seconds: negative",
        "lead_id: no lead with this id in the leads file (or its row was skipped)",
    ):
        assert reason in report
    yaml_text = (tmp_path / "out" / "team.yaml").read_text(encoding="utf-8")
    assert f"{len(rows) - 1 - 3:,} leads used, 3 skipped" in yaml_text


def test_nothing_is_written_when_calibration_fails(
    good: dict[str, list[list[str]]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = copy_rows(good, "leads")
    rows[-1][col(rows, "attempts")] = "two"
    out = tmp_path / "out" / "team.yaml"
    out.parent.mkdir()
    status = calibrate_cli(tmp_path, write(tmp_path / "leads.csv", rows))
    err = capsys.readouterr().err
    assert status == 2 and f"line {len(rows)}, column attempts" in err
    assert list(out.parent.iterdir()) == []
