"""Starting points shipped as data: each template is rule text and a one-line explanation.

A user opens a template, adjusts it and saves it as their own pattern; the text is
parsed like any user's (no template is code).
"""

from __future__ import annotations

from dataclasses import dataclass

from optionsintel.rules.model import Rule
from optionsintel.rules.text import parse_rule


@dataclass(frozen=True)
class Template:
    """A named starting rule with the idea behind it in one line."""

    name: str
    title: str
    explanation: str
    text: str

    def rule(self) -> Rule:
        """Return the template's validated rule."""
        return parse_rule(self.text)


TEMPLATES: dict[str, Template] = {
    t.name: t
    for t in (
        Template(
            "momentum",
            "Momentum",
            "Trend followers: price above rising averages, RSI strong, a 5 % monthly gain on "
            "above-average volume.",
            "RSI(14) > 55 AND close > EMA(20) AND EMA(20) > SMA(50) "
            "AND PCT_CHANGE(close, 20) > 5 AND RVOL(20) > 1.2",
        ),
        Template(
            "mean_reversion",
            "Mean reversion",
            "An oversold dip in an uptrend: RSI below 30 and close under the lower Bollinger "
            "band while above the 200-day average.",
            "RSI(14) < 30 AND BB_PCTB(20, 2) < 0 AND close > SMA(200)",
        ),
        Template(
            "breakout",
            "52-week breakout",
            "Close crosses above the previous bar's 52-week high on at least 1.5x average volume.",
            "close CROSSES ABOVE HIGH_52W(252)[1] AND RVOL(20) >= 1.5",
        ),
        Template(
            "volatility_crush",
            "Volatility crush",
            "Rich near-expiry options whose ATM IV has started to fall: IV rank above 70, "
            "a week or less to expiry, IV down three bars running.",
            "IV_RANK(252) > 70 AND DTE <= 7 AND ATM_IV FALLING FOR 3 BARS",
        ),
        Template(
            "volatility_expansion",
            "Volatility expansion",
            "A squeeze about to release: narrow Bollinger bandwidth and low IV rank while the "
            "true range starts to widen.",
            "BB_WIDTH(20, 2) < 0.05 AND IV_RANK(252) < 20 AND ATR(14) RISING FOR 3 BARS",
        ),
        Template(
            "oi_buildup",
            "Open-interest build-up",
            "Fresh positions at the money: ATM open interest up over 10 % in five bars with a "
            "call or put build-up signal of confidence 0.6 or more.",
            "ATM_OI_CHG(1) > 0 AND PCT_CHANGE(ATM_OI, 5) > 10 "
            "AND (SIGNAL(CALL_BUILDUP, 0.6) OR SIGNAL(PUT_BUILDUP, 0.6))",
        ),
    )
}
"""Templates by name, in display order."""
