"""Touch channels beside the phone: what an email or a text message costs and what it does.

A sequence cadence (``followup: {name: sequence, ...}``) mixes calls with touches on
other channels. Each channel takes a little rep time, costs a little money, adds to
the lead's touch fatigue (with its own weight: an email intrudes less than a call) and
is answered with a *reply chance*. A reply is an engagement: it renews the lead's hot
window and its interest (the next call is likelier to get through and to qualify),
but it is not a conversation, so it never qualifies a lead by itself. The defaults and
their sources are in docs/channels.md.
"""

from __future__ import annotations

from pydantic import Field

from sim.config._types import ConfigModel, Probability
from sim.config.distributions import Duration

CALL = "call"
"""The phone: the channel of every attempt of the calls-only cadences."""


class Channel(ConfigModel):
    """One non-call channel: rep time, money, reply chance and fatigue of a touch, and its cap."""

    time: Duration = Field(1.0, description="rep time to send one touch (minutes)")
    cost_per_touch: float = Field(
        0.05, ge=0, description="money per touch (tools, messaging fees), instead of the call's"
    )
    reply_chance: Probability = Field(
        0.12, description="chance that the lead replies to a touch (a reply renews its hot window)"
    )
    fatigue_weight: float = Field(
        0.5, ge=0, description="how much one touch adds to touch fatigue (a call adds 1)"
    )
    daily_cap_per_rep: int | None = Field(
        None,
        ge=0,
        description="most touches one rep sends on this channel a day (none: no cap); "
        "a touch over the cap waits for the next working day",
    )


class EmailChannel(Channel):
    """An email: a minute of rep time (a template, personalised), a small tool cost."""


class SmsChannel(Channel):
    """A text message: half a minute, a messaging fee; it intrudes as much as a call."""

    time: Duration = Field(0.5, description="rep time to send one touch (minutes)")
    cost_per_touch: float = Field(
        0.02, ge=0, description="money per touch (tools, messaging fees), instead of the call's"
    )
    fatigue_weight: float = Field(
        1.0, ge=0, description="how much one touch adds to touch fatigue (a call adds 1)"
    )


class Channels(ConfigModel):
    """The non-call channels a sequence cadence may use (a voicemail is part of a call)."""

    email: EmailChannel = EmailChannel()
    sms: SmsChannel = SmsChannel()

    def by_name(self) -> dict[str, Channel]:
        """``{"email": ..., "sms": ...}``: every channel under the name a sequence step uses."""
        return {name: getattr(self, name) for name in type(self).model_fields}
