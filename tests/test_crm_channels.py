"""Emails and texts in the CRM export: written by the recorder, read back, used by ``calibrate``.

A sequence's touches on other channels are activity rows whose type is the channel and
whose outcome is replied, no_reply or opted_out; ``calibrate`` fits each channel's reply
chance from them and recovers the simulated truth.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from sim.analysis import arms
from sim.calibration import read_activities, read_leads, simulate_export
from sim.calibration._channels import MIN_TOUCHES, channel_replies
from sim.calibration.crm import NO_REPLY, REPLIED, TOUCH_OPTED_OUT
from sim.cli import main
from sim.engine.streams import replication_seeds
from sim.experiment import load_experiment

REPO = Path(__file__).resolve().parent.parent
SMALL = ["scenario.horizon=2w", "scenario.warmup=0m", "scenario.drain=1w"]
TRUE_REPLY_CHANCE = 0.12
"""The shipped default reply chance of both email and sms (docs/channels.md)."""


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The multichannel experiment's mixed cadence (3 emails, 1 text), exported."""
    experiment = load_experiment(REPO / "experiments" / "multichannel.yaml", SMALL)
    mixed = dict(arms(experiment))["mixed"]
    recorder = simulate_export(
        mixed.scenario, mixed.policy, replication_seeds(experiment.seed, 1)[0]
    )
    leads, activities = recorder.write(tmp_path_factory.mktemp("crm"))
    return {"leads": leads, "activities": activities}


def test_channel_touches_are_rows_with_their_channel_and_outcome(export: dict[str, Path]) -> None:
    acts = pd.read_csv(export["activities"], dtype=str)
    touches = acts[acts["type"].isin(["email", "sms"])]
    assert set(touches["outcome"]) <= {"replied", "no_reply", "opted_out"}
    assert {"replied", "no_reply"} <= set(touches["outcome"])
    durations = touches.groupby("type")["duration_seconds"].unique()
    assert list(durations["email"]) == ["60.0"] and list(durations["sms"]) == ["30.0"]
    per_lead = Counter(zip(touches["lead_id"], touches["type"], strict=True))
    assert max(n for (_, kind), n in per_lead.items() if kind == "email") <= 3  # 3 email steps
    assert max(n for (_, kind), n in per_lead.items() if kind == "sms") <= 1
    first_call = acts[acts["type"] == "call"].groupby("lead_id")["timestamp"].min()
    after = touches["timestamp"].to_numpy() >= first_call.reindex(touches["lead_id"]).to_numpy()
    assert after.all()  # a sequence's touches follow the first call


def test_reading_back_keeps_each_touchs_outcome(export: dict[str, Path]) -> None:
    leads = read_leads(export["leads"])
    activities = read_activities(export["activities"], leads)
    rows = pd.read_csv(export["activities"], dtype=str)
    email = activities.kind == activities.kinds.index("email")
    written = Counter(rows.loc[rows["type"] == "email", "outcome"])
    read = Counter(activities.touch_outcome[email].tolist())
    assert read == {
        NO_REPLY: written["no_reply"],
        REPLIED: written["replied"],
        TOUCH_OPTED_OUT: written["opted_out"],
    }
    assert (activities.touch_outcome[activities.is_call] == -1).all()
    assert int(activities.is_call.sum()) == int((rows["type"] == "call").sum())


def test_a_channel_with_few_touches_keeps_the_base_value_with_a_warning(
    export: dict[str, Path], tmp_path: Path
) -> None:
    rows = pd.read_csv(export["activities"], dtype=str)
    sms = rows.index[rows["type"] == "sms"]
    rows = rows.drop(sms[MIN_TOUCHES - 1 :])  # keep fewer sms touches than a fit needs
    unknown = rows.index[rows["type"] == "email"][:5]
    rows.loc[unknown, "outcome"] = "bounced"  # words it does not know: left out, no error
    path = tmp_path / "activities.csv"
    rows.to_csv(path, index=False)
    activities = read_activities(path, read_leads(export["leads"]))
    warnings: list[str] = []
    fitted = channel_replies(activities, warnings.append)
    assert set(fitted) == {"email"}
    email = activities.touch_outcome[activities.kind == activities.kinds.index("email")]
    written = rows.loc[rows["type"] == "email", "outcome"]
    assert fitted["email"].rows == int(written.isin(["replied", "no_reply"]).sum())
    assert fitted["email"].value == pytest.approx((email == REPLIED).sum() / fitted["email"].rows)
    assert len(warnings) == 1 and "scenario.channels.sms.reply_chance kept" in warnings[0]


@pytest.mark.slow
def test_calibrate_recovers_the_reply_chance_of_each_channel(
    export: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "team.yaml"
    status = main(
        ["calibrate", str(export["leads"]), "--activities", str(export["activities"]),
         "--out", str(out), "--seed", "1"]
    )  # fmt: skip
    assert status == 0, capsys.readouterr().err
    calibrated: dict[str, Any] = yaml.safe_load(out.read_text(encoding="utf-8"))
    for channel in ("email", "sms"):
        chance = calibrated["scenario"]["channels"][channel]["reply_chance"]
        low, high = calibrated["uncertain"][f"scenario.channels.{channel}.reply_chance"]["ci95"]
        assert low < TRUE_REPLY_CHANCE < high and low < chance < high, (channel, low, high)
    assert "replies among" in out.read_text(encoding="utf-8")
    report = out.with_name("team.calibration.html").read_text(encoding="utf-8")
    assert (
        "channels.email.reply_chance</td>" in report and "channels.sms.reply_chance</td>" in report
    )
    assert main(["check", str(out)]) == 0
