"""Comebacks: unanswered leads who call back after a voicemail or inquire again later.

An unreached lead is not always lost: some return a voicemail, and some whose
follow-ups ended inquire again weeks later. Touch fatigue puts them off (the
decision stage's annoyance per remembered touch beyond the tolerance), and a lead
who opted out never comes back. Off by default; the documented values and their
sources are in docs/comebacks.md.
"""

from __future__ import annotations

from pydantic import Field

from sim.config._types import ConfigModel, PositiveMinutes, Probability


class Comebacks(ConfigModel):
    """Unanswered leads who come back on their own (docs/comebacks.md).

    A voicemail on attempt *k* brings a call-back with ``voicemail_callback_chance x
    attempt_decay ** (k - 1)`` after an exponential delay (mean ``callback_delay``); a
    lead whose follow-ups ended without reaching it inquires again with
    ``return_chance`` after an exponential delay (mean ``return_delay``). Both chances shrink with the lead's touch fatigue
    as a prospect's win chance does (``decision.annoyance_per_extra_touch`` per
    remembered touch beyond ``fatigue.tolerance``), and a lead who opted out never
    comes back. A lead who comes back has just engaged and is at the phone: a rep
    takes its call at once.
    """

    voicemail_callback_chance: Probability = Field(
        0.0,
        description="chance that a voicemail on a 1st attempt brings a call-back (before fatigue; "
        "off by default, 0.048 published: docs/comebacks.md)",
    )
    callback_delay: PositiveMinutes = Field(
        "4h", description="mean time from a voicemail to the lead's call-back (exponential)"
    )
    return_chance: Probability = Field(
        0.0,
        description="chance that a lead whose follow-ups ended unreached inquires again "
        "(before fatigue; off by default, 0.1 assumed: docs/comebacks.md)",
    )
    return_delay: PositiveMinutes = Field(
        "2w", description="mean time from the last follow-up to the lead's return (exponential)"
    )
