"""Cadence policies: the decision rules a sales team can choose between.

One module per family; :class:`Cadence` combines one policy of each family.
"""

from policies.base import REGISTRY, Policy, param
from policies.cadence import Cadence
from policies.followup import FollowUpPolicy, GeometricCadence, StepCadence
from policies.nurture import NurturePolicy
from policies.queue import QueueDiscipline
from policies.referral import ReferralPolicy
from policies.retention import RetentionPolicy, RetentionStep
from policies.routing import RoutingPolicy
from policies.screening import ScreeningPolicy
from policies.speed_to_lead import SpeedToLeadPolicy
from policies.staffing import StaffingPolicy

__all__ = [
    "REGISTRY",
    "Cadence",
    "FollowUpPolicy",
    "GeometricCadence",
    "NurturePolicy",
    "Policy",
    "QueueDiscipline",
    "ReferralPolicy",
    "RetentionPolicy",
    "RetentionStep",
    "RoutingPolicy",
    "ScreeningPolicy",
    "SpeedToLeadPolicy",
    "StaffingPolicy",
    "StepCadence",
    "param",
]
