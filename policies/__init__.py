"""Cadence policies: the decision rules a sales team can choose between.

One module per family; :class:`Cadence` combines one policy of each family.
"""

from policies.base import REGISTRY, Policy, param
from policies.cadence import Cadence
from policies.followup import FollowUpPolicy, GeometricCadence, StepCadence
from policies.queue import QueueDiscipline
from policies.speed_to_lead import SpeedToLeadPolicy

__all__ = [
    "REGISTRY",
    "Cadence",
    "FollowUpPolicy",
    "GeometricCadence",
    "Policy",
    "QueueDiscipline",
    "SpeedToLeadPolicy",
    "StepCadence",
    "param",
]
