"""The recommendation's sentences, from hand-built evidence (no run folder, no simulation)."""

from __future__ import annotations

import pytest

from sim.config.economics import Economics
from sim.report.evidence import POLICY_ASSUMPTIONS
from sim.report.formatting import in_currency
from sim.report.recommendation import (
    CompareEvidence,
    Effect,
    Loss,
    Robustness,
    RunEvidence,
    Workload,
    assumption_words,
    recommendation,
)


def _effect(relative: float, low: float, high: float, significant: bool) -> Effect:
    base = 1_000_000.0
    return Effect(
        "profit", relative * base, low * base, high * base, relative, low, high, significant
    )


def _compare(effect: Effect, robustness: Robustness | None = None, **extra) -> CompareEvidence:
    return CompareEvidence(
        baseline="today",
        best="fast",
        description="2-minute target",
        effect=effect,
        variants=3,
        assumptions=("scenario.response.contact",),
        baseline_workload=Workload(800.0, 500.0),
        best_workload=Workload(800.0, 512.0),
        robustness=robustness,
        **extra,
    )


def test_a_clear_gain_is_recommended_with_its_interval_and_test() -> None:
    text = recommendation(_compare(_effect(0.043, 0.024, 0.063, True)))
    assert text[0] == "Recommendation: switch from today to fast (2-minute target)."
    assert "+4.3% (95% CI +2.4% to +6.3%)" in text[1]
    assert "+$43,000 on average" in text[1]
    assert "Holm-adjusted for the 3 variants compared" in text[1]
    assert "better than today" in text[1]


def test_without_robustness_it_says_so_and_how_to_assess_it() -> None:
    text = " ".join(recommendation(_compare(_effect(0.043, 0.024, 0.063, True))))
    assert "Robustness was not assessed" in text
    assert "python -m sim sensitivity" in text
    assert "how quickly a new lead stops answering (scenario.response.contact)" in text


def test_robustness_gives_the_share_of_worlds_won_and_the_inputs_that_matter() -> None:
    robust = Robustness(
        "the sensitivity analysis results/s/1",
        96,
        0.875,
        (
            "scenario.decision.engagement_per_touch",
            "scenario.referrals.leads_per_department_request",
        ),
    )
    text = " ".join(recommendation(_compare(_effect(0.043, 0.024, 0.063, True), robust)))
    assert "(the sensitivity analysis results/s/1, 96 plausible worlds): it wins in 87.5%" in text
    assert (
        "how much each conversation engages a prospect (scenario.decision.engagement_per_touch)"
        in text
    )
    assert "not assessed" not in text and "ties" not in text
    # the inputs the analysis found replace the generic guess, and are named once
    assert "scenario.response.contact" not in text
    assert text.count("scenario.decision.engagement_per_touch") == 1


def test_ties_across_worlds_are_said() -> None:
    robust = Robustness("input uncertainty", 10, 0.6, ties_share=0.3)
    text = " ".join(recommendation(_compare(_effect(0.043, 0.024, 0.063, True), robust)))
    assert "it wins in 60.0% of them and ties in 30.0%" in text


def test_rep_hours_say_paid_and_busy_hours() -> None:
    text = recommendation(_compare(_effect(0.043, 0.024, 0.063, True)))[-1]
    assert text == (
        "Rep hours: fast needs the same paid rep hours (800 a week); reps are busy 12 more hours "
        "a week (512 against 500)."
    )


def test_more_paid_hours_are_counted() -> None:
    evidence = _compare(_effect(0.043, 0.024, 0.063, True))
    evidence = CompareEvidence(
        **{**evidence.__dict__, "best_workload": Workload(840.0, 530.0)}  # two more reps
    )
    assert "40 more paid rep hours a week (840 against 800)" in recommendation(evidence)[-1]


def test_fewer_hours_are_said_in_words() -> None:
    evidence = _compare(_effect(0.043, 0.024, 0.063, True))
    evidence = CompareEvidence(
        **{**evidence.__dict__, "best_workload": Workload(780.0, 420.0)}  # fewer attempts
    )
    assert recommendation(evidence)[-1] == (
        "Rep hours: fast needs 20 fewer paid rep hours a week (780 against 800); "
        "reps are busy 80 fewer hours a week (420 against 500)."
    )


def test_noise_is_not_a_recommendation_to_switch() -> None:
    text = recommendation(_compare(_effect(0.01, -0.005, 0.025, False)))
    assert text[0].startswith("Recommendation: no change is proven better than today")
    assert "cannot tell apart from no change" in text[1]


def test_a_clear_loss_keeps_the_baseline() -> None:
    text = recommendation(_compare(_effect(-0.05, -0.07, -0.03, True)))
    assert text[0] == "Recommendation: keep today; none of the variants beats it."
    assert "-5.0% (95% CI -7.0% to -3.0%)" in text[1]


def test_lower_is_better_kpis_turn_the_direction() -> None:
    effect = Effect("overtime_hours", -3.0, -4.0, -2.0, -0.3, -0.4, -0.2, True)
    evidence = _compare(effect, higher_is_better=False)
    assert recommendation(evidence)[0].startswith("Recommendation: switch from today to fast")


def _run(**extra) -> RunEvidence:
    values = {
        "policy": "baseline",
        "kpi": "profit",
        "mean": 1_736_970.0,
        "ci_low": 1_700_000.0,
        "ci_high": 1_770_000.0,
        "window": "13-week",
        "assumptions": ("scenario.decision.engagement_per_touch",),
        "off_shift_arrivals": 0.22,
        "utilisation": 0.671,
        "losses": (Loss("never reached", 0.5), Loss("disqualified", 0.2)),
        "workload": Workload(820.0, 536.0),
    }
    return RunEvidence(**(values | extra))


def test_a_run_says_what_the_data_show_and_what_to_try() -> None:
    text = recommendation(_run())
    assert text[0] == (
        "What the data show for baseline: 22.0% of leads arrive when nobody is on shift, the "
        "largest loss is leads never reached (50.0% of all leads) and reps are busy 67.1% of "
        "their time on shift (536 of 820 paid rep hours a week)."
    )
    assert "cover those hours" in text[1] and "staffing.yaml" in text[1]
    assert "$1,736,970 (95% CI $1,700,000 to $1,770,000)" in text[2]
    assert "Robustness was not assessed" in text[3]
    assert "scenario.decision.engagement_per_touch" in text[4]


@pytest.mark.parametrize(
    ("extra", "step"),
    [
        ({"off_shift_arrivals": 0.02, "utilisation": 0.9}, "near capacity"),
        ({"off_shift_arrivals": 0.02}, "follow-up cadence"),
        (
            {"off_shift_arrivals": None, "losses": (Loss("disqualified", 0.3),)},
            "compare a change of cadence",
        ),
    ],
)
def test_the_next_step_follows_the_data(extra: dict, step: str) -> None:
    assert step in recommendation(_run(**extra))[1]


def test_money_is_written_in_the_scenario_currency() -> None:
    with in_currency(Economics(currency="EUR")):
        text = recommendation(_run())[2]
    assert "€1,736,970" in text and "$" not in text


def test_a_follow_up_change_rests_on_whether_unanswered_leads_come_back() -> None:
    """How many attempts pay depends on comebacks (docs/comebacks.md): the report names them."""
    assert "scenario.response.comebacks" in POLICY_ASSUMPTIONS["followup"]
    assert assumption_words("scenario.response.comebacks") == (
        "how often unanswered leads call back or inquire again (scenario.response.comebacks)"
    )
