"""The adherence rule's arithmetic answers bit for bit as ``Adherence.slip_chance`` did before.

:class:`Slipping` took the formula over from the pydantic model; seeded results depend on
every bit, so the answers are compared with ``==`` to the ones the model's own method gave
before (``float.hex``, recorded from it). Under the compiled kernel this checks the
compiled class; with ``SALESPULSE_PURE_PYTHON=1``, its source.
"""

from __future__ import annotations

import pytest

from sim.config.scenario import Adherence
from sim.config.slipping import Slipping

RULES = [
    {},
    {"busy_backlog_per_rep": 0.0, "swamped_excess_per_rep": 0.5, "planning_effect_scale": 7.0},
    {"busy_backlog_per_rep": 2.5, "slip_share_when_swamped": 0.9, "swamped_excess_per_rep": 9.0},
]
PLANNING_MINUTES = (0.0, 15.0, 1e4)
RECORDED = {
    (0, 1.0000001): ("0x1.ad7f28fbdb240p-26", "0x1.0480bfea33b02p-26", "0x1.ccd9d63fd67b1p-507"),
    (0, 3.0): ("0x1.43a54e4e98864p-2", "0x1.889a23fb97e05p-3", "0x1.5b45c798b8009p-483"),
    (0, 7.25): ("0x1.e9811926007b8p-2", "0x1.28e63c73eb435p-2", "0x1.069e9d7cb9b23p-482"),
    (0, 1e6): ("0x1.0000000000000p-1", "0x1.368b2fc6f960ap-2", "0x1.12b045b6e180dp-482"),
    (1, 1.0000001): ("0x1.bab55659830d9p-2", "0x1.9f816188392f0p-5", "0x0.0p+0"),
    (1, 3.0): ("0x1.febb1ae0eec2bp-2", "0x1.df59217029ca2p-5", "0x0.0p+0"),
    (1, 7.25): ("0x1.ffffef13afc2ep-2", "0x1.e089fff6fe5c2p-5", "0x0.0p+0"),
    (1, 1e6): ("0x1.0000000000000p-1", "0x1.e08a0fd919cd2p-5", "0x0.0p+0"),
    (2, 1.0000001): ("0x0.0p+0", "0x0.0p+0", "0x0.0p+0"),
    (2, 3.0): ("0x1.8e6e164aac369p-5", "0x1.e351ef206a720p-6", "0x1.ab842c0b8ce60p-486"),
    (2, 7.25): ("0x1.79ef52c29cd0ep-2", "0x1.ca7549b249044p-3", "0x1.95866208b0003p-483"),
    (2, 1e6): ("0x1.ccccccccccccdp-1", "0x1.177d44997a0a3p-1", "0x1.ee707d7c62b4bp-482"),
}
"""``slip_chance(load, minutes)`` for each of :data:`PLANNING_MINUTES`, as it was."""


@pytest.mark.parametrize(("rule", "load"), list(RECORDED))
def test_slipping_answers_as_slip_chance_did(rule: int, load: float) -> None:
    adherence = Adherence(**RULES[rule])
    slipping = adherence.compile()
    assert isinstance(slipping, Slipping)
    for minutes, recorded in zip(PLANNING_MINUTES, RECORDED[rule, load], strict=True):
        assert slipping.chance(load, minutes).hex() == recorded, minutes
        assert adherence.slip_chance(load, minutes) == slipping.chance(load, minutes)
