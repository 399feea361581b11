"""Key performance indicators: what a replication measures, and how to show it.

Every KPI is computed per replication over the *cohort* (leads arriving in the
measurement window, followed through the drain) or, for rep time and cost, over
the window itself. :data:`KPIS` documents each one for tables, reports and
tuning objectives.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sim.config.units import MINUTES_PER_DAY, MINUTES_PER_HOUR
from sim.engine.people import LOST_REASONS, LOST_SCREENED_OUT, OPEN, WON
from sim.engine.tally import OUTCOMES

if TYPE_CHECKING:
    from sim.engine.floor import SalesFloor


@dataclass(frozen=True)
class Kpi:
    """How to label, format and judge one KPI."""

    label: str
    unit: str  # "count", "share", "money", "minutes", "hours", "ratio"
    higher_is_better: bool | None = None


KPIS: dict[str, Kpi] = {
    "leads": Kpi("Leads in cohort", "count"),
    "referral_leads": Kpi("Leads from referral requests", "count", True),
    "screened_out": Kpi("Screened out", "count"),
    "screened_out_realistic": Kpi("Screened out wrongly (realistic leads)", "count", False),
    "reached_share": Kpi("Reached", "share", True),
    "qualified_share": Kpi("Qualified", "share", True),
    "won_share": Kpi("Won", "share", True),
    "won": Kpi("Deals won", "count", True),
    "deal_revenue": Kpi("Revenue from new deals", "money", True),
    "repeat_revenue": Kpi("Revenue from repeat purchases", "money", True),
    "revenue": Kpi("Revenue", "money", True),
    "rep_cost": Kpi("Rep cost", "money", False),
    "touch_cost": Kpi("Touch cost", "money", False),
    "profit": Kpi("Profit", "money", True),
    "speed_to_lead_median_minutes": Kpi("Speed to lead, median", "minutes", False),
    "speed_to_lead_p90_minutes": Kpi("Speed to lead, 90th percentile", "minutes", False),
    "mean_minutes_to_first_attempt": Kpi("Mean time to first attempt", "minutes", False),
    "first_attempt_within_5m_share": Kpi(
        "First attempt within 5 min", "share", True
    ),  # of leads not screened out
    "first_attempt_within_15m_share": Kpi("First attempt within 15 min", "share", True),
    "first_attempt_within_1h_share": Kpi("First attempt within 1 hour", "share", True),
    "first_attempt_within_target_share": Kpi("First attempt within target", "share", True),
    "attempts_per_lead": Kpi("Attempts per lead", "ratio"),
    "touches_per_lead": Kpi("Touches per lead (all stages)", "ratio"),
    "customers": Kpi("New customers", "count", True),
    "repeat_purchases": Kpi("Repeat purchases", "count", True),
    "churned": Kpi("Customers churned", "count", False),
    "customer_opt_outs": Kpi("Customers who opted out", "count", False),
    "referral_requests": Kpi("Referral requests made", "count"),
    "utilisation": Kpi("Rep utilisation", "share"),
    "overtime_hours": Kpi("Overtime (finishing work after shift)", "hours", False),
    "max_backlog": Kpi("Largest backlog (tasks waiting)", "count", False),
    "mean_backlog": Kpi("Average backlog (tasks waiting)", "count", False),
    "waited_share": Kpi("New leads that found no rep free", "share", False),
    "steps_skipped_share": Kpi("Cadence steps skipped (team busy)", "share", False),
    "steps_delayed_share": Kpi("Cadence steps put off (team busy)", "share", False),
    "planning_hours": Kpi("Manager planning time", "hours"),
    **{
        f"lost_{reason}": Kpi(f"Lost: {reason.replace('_', ' ')}", "count", False)
        for reason in LOST_REASONS
    },
    "open_at_end": Kpi("Still open at end of drain", "count"),
}


def _share(part: float, whole: float) -> float:
    return part / whole if whole else math.nan


def replication_kpis(floor: SalesFloor) -> dict[str, float]:
    """The KPIs of a finished replication, keyed as in :data:`KPIS`."""
    meter = floor.meter
    tally = meter.first_attempts  # every cohort lead except those screened out
    leads = sum(meter.outcomes.values())
    counts = tally.counts.sum(axis=1)
    economics = floor.scenario.economics
    on_shift = meter.on_shift_minutes()
    rep_cost = economics.rep_cost_per_hour * (on_shift + meter.overtime_minutes) / MINUTES_PER_HOUR
    calls_and_other_touches = meter.cohort_touches - floor.cohort_channel_touches
    touch_cost = economics.cost_per_touch * calls_and_other_touches + floor.cohort_channel_cost
    revenue = meter.deal_revenue + meter.repeat_revenue
    attempted = leads - int(tally.counts[0, -1])
    kpis = {
        "leads": float(leads),
        "referral_leads": float(meter.cohort_referral_leads),
        "screened_out": float(meter.outcomes[LOST_SCREENED_OUT]),
        "screened_out_realistic": float(meter.screened_out_realistic),
        "reached_share": _share(counts[OUTCOMES.index("reached")], leads),
        "qualified_share": _share(counts[OUTCOMES.index("qualified")], leads),
        "won_share": _share(counts[OUTCOMES.index("won")], leads),
        "won": float(meter.outcomes[WON]),
        "deal_revenue": meter.deal_revenue,
        "repeat_revenue": meter.repeat_revenue,
        "revenue": revenue,
        "rep_cost": rep_cost,
        "touch_cost": touch_cost,
        "profit": revenue - rep_cost - touch_cost,
        "speed_to_lead_median_minutes": tally.quantile(0.5),
        "speed_to_lead_p90_minutes": tally.quantile(0.9),
        "mean_minutes_to_first_attempt": _share(tally.delay_sum, attempted),
        "first_attempt_within_5m_share": tally.share_within(5.0),
        "first_attempt_within_15m_share": tally.share_within(15.0),
        "first_attempt_within_1h_share": tally.share_within(MINUTES_PER_HOUR),
        "first_attempt_within_target_share": tally.share_within(
            floor.cadence.speed_to_lead.response_target
        ),
        "attempts_per_lead": _share(meter.cohort_attempts, leads),
        "touches_per_lead": _share(meter.cohort_touches, leads),
        "customers": float(meter.customers),
        "repeat_purchases": float(meter.repeat_purchases),
        "churned": float(meter.churned),
        "customer_opt_outs": float(meter.customer_opt_outs),
        "referral_requests": float(meter.referral_requests),
        "utilisation": _share(meter.busy_minutes, on_shift),
        "overtime_hours": meter.overtime_minutes / MINUTES_PER_HOUR,
        "max_backlog": float(meter.max_backlog),
        "mean_backlog": meter.mean_backlog,
        "waited_share": _share(meter.cohort_waited, leads),
        "steps_skipped_share": _share(meter.steps_skipped, meter.steps_due),
        "steps_delayed_share": _share(meter.steps_delayed, meter.steps_due),
        "planning_hours": meter.planning_minutes / MINUTES_PER_HOUR,
    }
    kpis.update({f"lost_{reason}": float(meter.outcomes[reason]) for reason in LOST_REASONS})
    kpis["open_at_end"] = float(meter.outcomes[OPEN])
    return kpis


def _readable_minutes(value: float) -> str:
    if value < 1:
        return f"{value * 60:.0f} s"
    if value < MINUTES_PER_HOUR:
        return f"{value:.1f} min"
    if value < MINUTES_PER_DAY:
        return f"{value / MINUTES_PER_HOUR:.1f} h"
    return f"{value / MINUTES_PER_DAY:.1f} d"


def format_value(kpi: Kpi | None, value: float) -> str:
    """``0.6555`` -> ``'65.6%'`` for a share, ``1234567.8`` -> ``'1,234,568'`` for money, ..."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if math.isinf(value):
        return "never" if kpi and kpi.unit == "minutes" else ("inf" if value > 0 else "-inf")
    unit = kpi.unit if kpi else "ratio"
    if unit == "share":
        return f"{100 * value:.1f}%"
    if unit == "money":
        return f"{value:,.0f}"
    if unit == "minutes":
        return _readable_minutes(value)
    if unit == "count":
        return f"{value:,.1f}" if abs(value) < 100 and value != round(value) else f"{value:,.0f}"
    if unit == "hours":
        return f"{value:,.1f} h"
    return f"{value:,.3g}"
