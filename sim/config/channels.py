"""Touch channels beside the phone: what an email, a text or a LinkedIn touch costs and does.

A sequence cadence (``followup: {name: sequence, ...}``) mixes calls with touches on
other channels. Each channel takes a little rep time, costs a little money, adds to
the lead's touch fatigue (with its own weight: an email intrudes less than a call) and
is answered with a *reply chance*. A reply is an engagement: it renews the lead's hot
window and its interest (the next call is likelier to get through and to qualify),
but it is not a conversation, so it never qualifies a lead by itself. The defaults and
their sources are in docs/channels.md. Besides each channel's own daily cap, a rep's
touches across all channels may be capped (``daily_touch_cap_per_rep``), as sequence
tools cap a rep's daily tasks.
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
        ge=1,
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


class SocialChannel(Channel):
    """A LinkedIn touch (a connection request with a note, or a message): done by hand.

    Sequence tools cannot send it for the rep (LinkedIn forbids automation), so it takes
    minutes; LinkedIn limits the invitations a member sends a week, hence a daily cap.
    """

    time: Duration = Field(3.0, description="rep time to send one touch (minutes)")
    cost_per_touch: float = Field(
        0.25, ge=0, description="money per touch (tools, messaging fees), instead of the call's"
    )
    reply_chance: Probability = Field(
        0.09, description="chance that the lead replies to a touch (a reply renews its hot window)"
    )
    daily_cap_per_rep: int | None = Field(
        20,
        ge=1,
        description="most touches one rep sends on this channel a day (none: no cap); "
        "a touch over the cap waits for the next working day",
    )


class Channels(ConfigModel):
    """The non-call channels a sequence cadence may use (a voicemail is part of a call)."""

    email: EmailChannel = EmailChannel()
    sms: SmsChannel = SmsChannel()
    social: SocialChannel = SocialChannel()
    daily_touch_cap_per_rep: int | None = Field(
        None,
        ge=1,
        description="most sequence touches one rep makes a day across all channels, follow-up "
        "calls included (none: no cap); first calls to new leads are neither counted nor held; "
        "a touch over the cap waits for the next working day",
    )

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """The channels' names, as a sequence step writes them: ``("email", "sms", "social")``."""
        return tuple(
            name
            for name, field in cls.model_fields.items()
            if isinstance(field.annotation, type) and issubclass(field.annotation, Channel)
        )

    def by_name(self) -> dict[str, Channel]:
        """``{"email": ..., "sms": ..., "social": ...}``: each channel under its step name."""
        return {name: getattr(self, name) for name in self.names()}
