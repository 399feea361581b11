"""A cadence: one policy per family, the full sales rhythm a team follows.

In YAML each family is omitted (its default policy), a policy name, or a mapping
of parameters with an optional ``name`` (default: the family's default policy)::

    policy:
      speed_to_lead: {response_target: 5m}
      queue: {order: fifo}
      followup: {name: geometric, first_gap: 10m, growth: 3, max_attempts: 6}
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import ValidatorFunctionWrapHandler, field_validator

from policies.base import REGISTRY, Policy
from policies.followup import FollowUpPolicy, StepCadence
from policies.manager import ManagerPolicy
from policies.nurture import NurturePolicy
from policies.queue import QueueDiscipline
from policies.referral import ReferralPolicy
from policies.retention import RetentionPolicy
from policies.routing import RoutingPolicy
from policies.screening import ScreeningPolicy
from policies.speed_to_lead import SpeedToLeadPolicy
from policies.staffing import StaffingPolicy
from sim.config._types import ConfigModel
from sim.config.scenario import REFERRAL_SOURCE

if TYPE_CHECKING:
    from sim.config.scenario import RepGroup, Scenario


class Cadence(ConfigModel):
    """The policies a scenario runs with, one per family."""

    speed_to_lead: SpeedToLeadPolicy = SpeedToLeadPolicy()
    queue: QueueDiscipline = QueueDiscipline()
    followup: FollowUpPolicy = StepCadence()
    screening: ScreeningPolicy = ScreeningPolicy()
    nurture: NurturePolicy = NurturePolicy()
    retention: RetentionPolicy = RetentionPolicy()
    referral: ReferralPolicy = ReferralPolicy()
    routing: RoutingPolicy = RoutingPolicy()
    staffing: StaffingPolicy = StaffingPolicy()
    manager: ManagerPolicy = ManagerPolicy()

    @field_validator("*", mode="wrap")
    @classmethod
    def _resolve_policy(cls, value: Any, handler: ValidatorFunctionWrapHandler, info: Any) -> Any:
        if isinstance(value, Policy):
            return value
        base: type[Policy] = cls.model_fields[info.field_name].annotation  # type: ignore[assignment]
        default: Policy = cls.model_fields[info.field_name].default
        if isinstance(value, str):
            value = {"name": value}
        if value is None:
            value = {}
        if not isinstance(value, dict):
            return handler(value)
        params = dict(value)
        name = params.pop("name", default.name)
        family = REGISTRY.get(base.family, {})
        if not isinstance(name, str) or name not in family:
            raise ValueError(
                f"unknown {base.family} policy {name!r}; expected one of: {', '.join(sorted(family))}"
            )
        return family[name].model_validate(params)

    def policies(self) -> list[Policy]:
        """The chosen policies, in family order."""
        return [getattr(self, family) for family in type(self).model_fields]

    def to_config(self) -> dict[str, dict[str, Any]]:
        """The YAML form: each family's policy name and parameters."""
        return {
            family: {"name": policy.name, **policy.model_dump(mode="json")}
            for family, policy in zip(type(self).model_fields, self.policies(), strict=True)
        }

    def staffed_groups(self, scenario: Scenario) -> list[tuple[RepGroup, int, int]]:
        """``(group, responders, others)`` per rep group after the staffing and speed-to-lead policies."""
        return self.staffing.staffed_groups(scenario, self.speed_to_lead.responder_share)

    def rep_count(self, scenario: Scenario) -> int:
        """Reps on the team once the staffing policy is applied."""
        return sum(r + o for _, r, o in self.staffed_groups(scenario))

    def staffing_problems(self, scenario: Scenario) -> list[str]:
        """Why this cadence cannot staff this scenario (empty when it can), each naming its field."""
        names = [group.name for group in scenario.reps]
        problems = [
            f"policy.{family}.{field}.{name}: no rep group named {name!r}; expected one of: {', '.join(names)}"
            for family, field, keys in (
                ("staffing", "counts", self.staffing.counts),
                ("routing", "weights", self.routing.rep_groups()),
            )
            for name in keys
            if name not in names
        ]
        sources = [*(source.name for source in scenario.sources), REFERRAL_SOURCE]
        problems += [
            f"policy.screening.by_source.{name}: no lead source named {name!r}; expected one of: {', '.join(sources)}"
            for name in self.screening.by_source
            if name not in sources
        ]
        problems += [
            f"policy.staffing.counts.{name}: expected a number of reps >= 0, got {count}"
            for name, count in self.staffing.counts.items()
            if count < 0
        ]
        if problems:
            return problems
        staffed = self.staffed_groups(scenario)
        responders = sum(r + o for g, r, o in staffed if g.role in ("responder", "generalist"))
        closers = sum(o for g, _, o in staffed if g.role in ("closer", "generalist"))
        if responders == 0:
            problems.append(
                "scenario.reps: no responder or generalist is staffed, so nobody would call new leads "
                "(check scenario.reps roles and counts and policy.staffing.counts)"
            )
        if closers == 0:
            problems.append(
                "scenario.reps: no closer or generalist is staffed, so qualified leads and customers would never be "
                "worked (check scenario.reps roles and counts, policy.staffing.counts and "
                "policy.speed_to_lead.responder_share)"
            )
        return problems
