"""Cadence policies: the decision rules a sales team can choose between.

One module per family; :class:`Cadence` combines one policy of each family.

Importing this package also loads every other module of the package and every
entry point of the group ``salespulse.policies`` (see :data:`ENTRY_POINT_GROUP`),
so a policy defined in a new file ``policies/my_policy.py`` or in an installed
plug-in is selectable from YAML without editing this file.
"""

import importlib
import pkgutil
from importlib.metadata import entry_points

from policies.base import ENTRY_POINT_GROUP, REGISTRY, Policy, param
from policies.cadence import Cadence
from policies.followup import FollowUpPolicy, GeometricCadence, StepCadence
from policies.manager import ManagerPolicy
from policies.nurture import NurturePolicy
from policies.queue import QueueDiscipline
from policies.referral import ReferralPolicy
from policies.retention import RetentionPolicy, RetentionStep
from policies.routing import RoutingPolicy
from policies.screening import DropChances, ScreeningPolicy, chances_kept
from policies.sequence import SequenceCadence
from policies.speed_to_lead import ForcedDelay, SpeedToLeadPolicy
from policies.staffing import StaffingPolicy

__all__ = [
    "ENTRY_POINT_GROUP",
    "REGISTRY",
    "Cadence",
    "DropChances",
    "FollowUpPolicy",
    "ForcedDelay",
    "GeometricCadence",
    "ManagerPolicy",
    "NurturePolicy",
    "Policy",
    "QueueDiscipline",
    "ReferralPolicy",
    "RetentionPolicy",
    "RetentionStep",
    "RoutingPolicy",
    "ScreeningPolicy",
    "SequenceCadence",
    "SpeedToLeadPolicy",
    "StaffingPolicy",
    "StepCadence",
    "chances_kept",
    "param",
]


def _load_plugins() -> None:
    """Import the package's other modules, then the ``salespulse.policies`` entry points.

    Built-in classes are imported above first, so the registry lists them in a
    fixed order and a plug-in may say ``from policies import FollowUpPolicy``.
    """
    for module in pkgutil.iter_modules(__path__, prefix=f"{__name__}."):
        importlib.import_module(module.name)
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        try:
            entry_point.load()
        except Exception as error:
            raise ImportError(
                f"policy plug-in {entry_point.name!r} = {entry_point.value!r} "
                f"(entry-point group {ENTRY_POINT_GROUP!r}) failed to load: {error}"
            ) from error


_load_plugins()
