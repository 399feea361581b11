"""Money: what reps and touches cost, and the currency every amount is written in."""

from __future__ import annotations

from pydantic import Field, field_validator

from sim.config._types import ConfigModel

CURRENCY_SYMBOLS = {
    "USD": "$",
    "EUR": "€",
    "GBP": "£",
    "JPY": "¥",
    "CNY": "¥",
    "INR": "₹",
    "RUB": "₽",
    "KRW": "₩",
    "BRL": "R$",
    "CAD": "CA$",
    "AUD": "A$",
}
"""Symbols people write before an amount; other ISO 4217 codes are written as the code."""


def currency_symbol(code: str) -> str:
    """``'$'`` for USD, ``'€'`` for EUR; ``'CHF '`` for a code without a common symbol."""
    return CURRENCY_SYMBOLS.get(code, f"{code} ")


class Economics(ConfigModel):
    """Money: what reps and touches cost, and the currency every amount is in."""

    rep_cost_per_hour: float = Field(40.0, ge=0, description="fully loaded cost of one rep hour")
    cost_per_touch: float = Field(0.5, ge=0, description="cost of each touch (telephony, tools)")
    currency: str = Field(
        "USD", description="ISO 4217 code of every money amount (deal values, costs): USD, EUR, ..."
    )

    @field_validator("currency")
    @classmethod
    def _currency_code(cls, code: str) -> str:
        if not (len(code) == 3 and code.isascii() and code.isalpha() and code.isupper()):
            raise ValueError("expected a 3-letter ISO 4217 currency code such as USD, EUR or GBP")
        return code

    @property
    def currency_symbol(self) -> str:
        """What amounts are written with: ``'$'``, ``'€'``, ``'CHF '``."""
        return currency_symbol(self.currency)
