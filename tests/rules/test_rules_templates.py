"""Shipped templates: valid, round-trippable, explained, and evaluable."""

from __future__ import annotations

import pandas as pd
import pytest
from panels import make_panel

from optionsintel.errors import RuleDataError
from optionsintel.rules import parse_rule, parse_rule_json, print_rule, rule_json
from optionsintel.rules.evaluate import evaluate
from optionsintel.rules.plan import compile_rule
from optionsintel.rules.templates import TEMPLATES

NEEDED = {
    "momentum",
    "mean_reversion",
    "breakout",
    "volatility_crush",
    "volatility_expansion",
    "oi_buildup",
}


def test_the_promised_templates_are_shipped() -> None:
    assert set(TEMPLATES) >= NEEDED


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_template_is_valid_round_trips_and_is_explained(name: str) -> None:
    t = TEMPLATES[name]
    rule = t.rule()
    assert parse_rule(print_rule(rule)) == rule
    assert parse_rule_json(rule_json(rule)) == rule
    assert "\n" not in t.explanation and 20 < len(t.explanation) < 200 and t.title


@pytest.mark.parametrize("name", ["momentum", "mean_reversion", "breakout"])
def test_price_templates_evaluate_on_bars(name: str) -> None:
    panel = make_panel(bars=400, symbols=50, seed=11)
    m = evaluate(TEMPLATES[name].rule(), panel).matches
    assert m.shape == (400, 50) and m.dtypes.eq(bool).all()


@pytest.mark.parametrize("name", ["volatility_crush", "volatility_expansion", "oi_buildup"])
def test_chain_templates_name_the_chain_data_they_need(name: str) -> None:
    panel = make_panel(bars=50, symbols=3)
    needed = compile_rule(TEMPLATES[name].rule()).datasets
    with pytest.raises(RuleDataError) as info:
        evaluate(TEMPLATES[name].rule(), panel)
    missing = [d for d in needed if d not in panel]
    assert missing and all(d in str(info.value) for d in missing)
    zeros = pd.DataFrame(1.0, index=panel["close"].index, columns=panel["close"].columns)
    panel.update({d: zeros for d in missing})
    assert evaluate(TEMPLATES[name].rule(), panel).matches.shape == (50, 3)
