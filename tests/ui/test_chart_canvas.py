"""The drawing canvas, headless: shapes (as a relayout delivers them) -> conditions -> rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optionsintel.rules import evaluate, parse_rule, print_rule, validate_rule
from optionsintel.ui.chart_canvas import and_with
from optionsintel.ui.chart_figures import PATTERN_PREFIX, candle_figure, detect_for_chart
from optionsintel.ui.drawing import (
    Drawing,
    DrawingError,
    choices,
    condition_for,
    drawing_from_shape,
    drawings_from_shapes,
)
from optionsintel.ui.pattern_builder import PatternBuilder
from optionsintel.ui.pattern_data import PatternSource


def _bars(n: int = 300, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    idx = pd.bdate_range("2023-01-02", periods=n)
    c = 100 * np.exp(np.cumsum(rng.normal(0, 0.02, n)))
    return pd.DataFrame({"open": c, "high": c * 1.01, "low": c * 0.99, "close": c,
                         "volume": rng.integers(1e4, 5e4, n).astype(float)}, index=idx)  # fmt: skip


def _builder(bars: pd.DataFrame | None = None) -> PatternBuilder:
    def unused(*_a, **_k):
        raise AssertionError("no data call expected")

    source = PatternSource(
        providers=lambda: ["synthetic"], symbols=lambda _p: ["AAA", "BBB"], evaluate=unused,
        save=unused, patterns=lambda: [], versions=lambda _p: [], load=unused, diff=unused,
        history=(lambda _p, _s: bars) if bars is not None else None,
    )  # fmt: skip
    return PatternBuilder(source)


def _line(x0: str, y0: float, x1: str, y1: float) -> dict:
    return {"type": "line", "x0": x0, "y0": y0, "x1": x1, "y1": y1}


def test_a_drawn_line_is_ordered_in_time_and_snapped_to_days() -> None:
    d = drawing_from_shape(_line("2024-03-01 02:10:00.5", 110.004, "2024-01-02 11:00", 100))
    assert d == Drawing("line", "2024-01-02", 100.0, "2024-03-01", 110.0)  # noon is the cut
    assert d.at("2024-03-31") == pytest.approx(110 + 30 * 10 / 59)


def test_a_nearly_flat_line_is_a_level() -> None:
    d = drawing_from_shape(_line("2024-01-02", 100.0, "2024-02-02", 100.1))
    assert d.kind == "level" and d.p0 == d.p1 == 100.05
    text = print_rule(validate_rule({"condition": condition_for([d], "crosses below")}))
    assert text == "close CROSSES BELOW LINE(2024-01-02, 100.05, 2024-02-02, 100.05)"


@pytest.mark.parametrize(
    "shape, reason",
    [
        (_line("2024-01-02 09:00", 100, "2024-01-02 11:00", 120), "one bar"),
        (_line("not a date", 100, "2024-01-05", 120), "not a date"),
        (_line("2024-01-02", "1e999", "2024-01-05", 120), "positive finite"),
        (_line("2024-01-02", -5, "2024-01-05", 120), "positive finite"),
        (_line("2024-01-02", [1], "2024-01-05", 120), "not a number"),
        ({"type": "rect", "x0": "2024-01-02", "y0": 1, "x1": "2024-01-05", "y1": 2}, "lines"),
        (_line("2024-01-02T10:00+05:30", 100, "2024-01-05", 120), "not a date"),
    ],
)
def test_bad_shapes_are_refused_with_a_reason(shape: dict, reason: str) -> None:
    with pytest.raises(DrawingError, match=reason):
        drawing_from_shape(shape)


def test_detected_pattern_shapes_are_not_user_drawings() -> None:
    shapes = [{**_line("2024-01-02", 1, "2024-02-02", 2), "name": f"{PATTERN_PREFIX}x:0:upper"},
              _line("2024-01-02", 1, "2024-02-02", 2), {"type": "circle"}]  # fmt: skip
    drawn, problems = drawings_from_shapes(shapes)
    assert len(drawn) == 1 and problems == ["shape 2: only straight lines can become conditions "
                                            "(use the line tool)"]  # fmt: skip


def test_parallel_lines_make_a_channel_and_its_conditions() -> None:
    lower = drawing_from_shape(_line("2024-01-02", 90, "2024-03-01", 100))
    upper = drawing_from_shape(_line("2024-01-02", 100, "2024-03-01", 111))
    steep = drawing_from_shape(_line("2024-01-02", 100, "2024-03-01", 150))
    menu = choices([upper, lower, steep])
    assert [ix for _, ix in menu] == [(0,), (1,), (2,), (0, 1)]
    out = condition_for([upper, lower], "breaks above")
    assert out["direction"] == "above" and out["right"]["p0"] == 100  # the upper line
    out = condition_for([upper, lower], "is inside")
    assert (out["low"]["p1"], out["high"]["p1"]) == (100, 111)
    with pytest.raises(DrawingError, match="not parallel"):
        condition_for([upper, steep], "is inside")
    with pytest.raises(DrawingError, match="does not apply"):
        condition_for([upper], "is inside")


def test_and_with_flattens_into_the_rule() -> None:
    cond = condition_for([drawing_from_shape(_line("2024-01-02", 90, "2024-03-01", 100))],
                         "is above")  # fmt: skip
    rule = and_with(parse_rule("close > SMA(20) AND RSI(14) < 70"), cond)
    assert print_rule(rule) == (
        "close > SMA(20) AND RSI(14) < 70 AND close > LINE(2024-01-02, 90, 2024-03-01, 100)"
    )
    assert print_rule(and_with(None, cond)) == "close > LINE(2024-01-02, 90, 2024-03-01, 100)"


def test_builder_canvas_draw_to_rule_text_full_path() -> None:
    bars = _bars()
    b = _builder(bars)
    assert b.canvas.chart is None  # nothing heavy until asked
    assert b.canvas.symbol_select.value == "AAA"  # the first symbol of the provider
    b.canvas.symbol_select.value = "BBB"
    b.canvas.show_button.click()
    chart = b.canvas.chart
    assert chart is not None and b.canvas.symbol == "BBB" and "synthetic" in b.canvas.message
    det = detect_for_chart(bars.tail(504))
    names = [s.get("name", "") for s in chart.figure["layout"].get("shapes", [])]
    assert len(names) == 2 * min(len(det), 8) and all(n.startswith(PATTERN_PREFIX) for n in names)
    # the browser's relayout writes the user's shapes back into the trait
    chart.shapes = [_line("2023-06-01", 105, "2023-09-01 12:00", 115)]
    assert b.canvas.drawings == ["1: trendline 2023-06-01 105 → 2023-09-02 115"]
    b.canvas.relation.value = "crosses above"
    b.canvas.add_button.click()
    want = "close > SMA(20) AND close CROSSES ABOVE LINE(2023-06-01, 105, 2023-09-02, 115)"
    assert b.rule_text == want and b.valid
    # the row editor shows it as text; the rule it makes evaluates on the bars
    assert parse_rule(b.rule_text) == b.current_rule()
    panel = {k: bars[[k]].rename(columns={k: "BBB"}) for k in bars.columns}
    res = evaluate(b.current_rule(), panel)  # type: ignore[arg-type]
    assert not res.matches.loc[:"2023-09-01"].any().any()  # unknown before the 2nd point


def test_canvas_without_data_says_what_to_do() -> None:
    b = _builder(None)
    b.canvas.show("AAA")
    assert "provider" in b.canvas.message and b.canvas.chart is None
    assert b.canvas.add_to_rule() is None and "Draw a line" in b.canvas.message


def test_candle_figure_panels_and_unknown_indicator() -> None:
    fig = candle_figure(_bars(120), "AAA", indicators=["SMA(20)", "RSI(14)", "Volume"],
                        provider="synthetic")  # fmt: skip
    assert "provider synthetic" in fig.layout.title.text
    assert {tr.name for tr in fig.data} >= {"price", "SMA(20)", "RSI(14)", "volume"}
    with pytest.raises(ValueError, match="unknown indicator"):
        candle_figure(_bars(20), "AAA", indicators=["MAGIC"])


days = st.dates(pd.Timestamp("2015-01-01").date(), pd.Timestamp("2030-12-31").date())
prices = st.floats(0.05, 1e6, allow_nan=False)


@settings(max_examples=120, deadline=None)
@given(days, prices, days, prices, st.sampled_from(["crosses above", "crosses below",
                                                     "is above", "is below"]))  # fmt: skip
def test_any_drawn_line_round_trips_through_the_text_form(d0, p0, d1, p1, relation) -> None:
    try:
        d = drawing_from_shape(_line(d0.isoformat(), p0, d1.isoformat(), p1))
    except DrawingError:
        assert d0 == d1  # the only refusal for in-range input: both ends on one bar
        return
    rule = validate_rule({"condition": condition_for([d], relation)})
    assert parse_rule(print_rule(rule)) == rule
    assert rule.condition.right.t0 < rule.condition.right.t1  # type: ignore[union-attr]
