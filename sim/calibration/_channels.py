"""Each channel's reply chance, from the email, text and LinkedIn rows of an activities export.

A sales-engagement tool logs every touch of a sequence with what came of it: the lead
replied, did not, or opted out. The model draws the opt-out first (touch fatigue) and a
reply only for a touch that did not drive the lead away
(:mod:`sim.engine._channels`), so ``reply_chance`` is the share of replies among the
touches that did not end in an opt-out. Rows of a channel the model does not have
(say ``whatsapp``), and rows whose outcome words are not known, are left out of the
fit.
"""

from __future__ import annotations

from collections.abc import Callable

from sim.calibration._estimate import Estimate, proportion
from sim.calibration.crm import NO_REPLY, REPLIED, ActivityTable
from sim.config.channels import Channels

MIN_TOUCHES = 50
"""Touches of a channel with a known outcome needed to fit its reply chance."""


def channel_replies(
    activities: ActivityTable | None, warn: Callable[[str], None]
) -> dict[str, Estimate]:
    """``{channel: reply chance}`` for each channel of the model the export has enough touches of."""
    if activities is None:
        return {}
    fitted: dict[str, Estimate] = {}
    for channel in Channels.names():
        if channel not in activities.kinds:
            continue
        rows = activities.kind == activities.kinds.index(channel)
        outcome = activities.touch_outcome[rows]
        sent = int(((outcome == NO_REPLY) | (outcome == REPLIED)).sum())
        if sent < MIN_TOUCHES:
            warn(
                f"only {sent} {channel} touches with a known outcome (replied or no_reply; at "
                f"least {MIN_TOUCHES} needed): scenario.channels.{channel}.reply_chance kept "
                "from the base experiment"
            )
            continue
        fitted[channel] = proportion(float((outcome == REPLIED).sum()), float(sent))
    return fitted
