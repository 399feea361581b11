"""Slipping: the adherence rule's arithmetic, as the engine asks it for each due step.

:class:`Slipping` holds the numbers of a scenario's ``adherence`` (see
:class:`~sim.config.scenario.Adherence`, which builds one with ``compile()`` and answers
its own ``slip_chance`` through it, so the formula is written once, here). The module
holds numbers only (no pydantic), so that the compiled kernel (:mod:`sim.engine.kernel`)
compiles it with the engine, which then calls :meth:`Slipping.chance` natively with
plain doubles each time a cadence step falls due on a busy team.
"""

from __future__ import annotations

import math


class Slipping:
    """The chance that a cadence step falling due at a given load slips (is put off or skipped)::

    slip_share_when_swamped x (1 - exp(-excess / swamped_excess_per_rep))
                            x exp(-planning_minutes / planning_effect_scale)

    where *excess* is the backlog per rep above ``busy_backlog_per_rep`` (0 below it).
    """

    def __init__(
        self,
        busy_backlog_per_rep: float,
        slip_share_when_swamped: float,
        swamped_excess_per_rep: float,
        planning_effect_scale_minutes: float,
    ) -> None:
        self.busy_backlog_per_rep = busy_backlog_per_rep
        self.slip_share_when_swamped = slip_share_when_swamped
        self.swamped_excess_per_rep = swamped_excess_per_rep
        self.planning_effect_scale = planning_effect_scale_minutes

    def chance(self, backlog_per_rep: float, planning_minutes: float) -> float:
        """The slip chance at *backlog_per_rep* tasks waiting per rep on shift, after the
        manager's *planning_minutes* of planning today."""
        excess = backlog_per_rep - self.busy_backlog_per_rep
        if excess <= 0 or not self.slip_share_when_swamped:
            return 0.0
        swamped = -math.expm1(-excess / self.swamped_excess_per_rep)
        planned = math.exp(-planning_minutes / self.planning_effect_scale)
        return self.slip_share_when_swamped * swamped * planned
