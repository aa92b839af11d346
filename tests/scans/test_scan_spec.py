"""Scan specs: text forms, JSON round trip, hostile input refused with one-line errors."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optionsintel.errors import ScanSpecError
from optionsintel.scans import ScanSpec, parse_detector, parse_universe, scan_spec
from optionsintel.scans.spec import validate_cron


def test_text_forms() -> None:
    assert parse_universe("fno").kind == "fno"
    assert parse_universe("sector:IT").name == "IT"
    assert parse_universe("watchlist:alice/tech").name == "alice/tech"
    u = parse_universe("symbols: infy, tcs ,INFY")
    assert u.symbols == ("INFY", "TCS") and u.text == "symbols:INFY,TCS"
    assert parse_detector("call_buildup:0.7").text == "CALL_BUILDUP:0.7"
    assert parse_detector("CALL_BUILDUP@0.7").rule_text == "SIGNAL(CALL_BUILDUP, 0.7)"
    assert parse_detector("ANOMALY").rule_text == "ANOMALY"


def test_json_round_trip_and_as_of_in_ist() -> None:
    spec = scan_spec(universe="sector:Banks", patterns=["rsi_dip@3", "rsi_dip@3"],
                     detectors=["PUT_BUILDUP:0.5", "ANOMALY"], as_of="2025-07-16 15:45",
                     provider="synthetic", match="all")  # fmt: skip
    assert spec.patterns == ("rsi_dip@3",)  # duplicates dropped
    assert spec.as_of == dt.datetime(2025, 7, 16, 10, 15, tzinfo=dt.UTC)
    assert ScanSpec.from_json(spec.to_json()) == spec
    assert ScanSpec.from_json(spec.model_dump_json()) == spec
    assert spec.criteria == ("rsi_dip@3", "PUT_BUILDUP:0.5", "ANOMALY")


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"universe": "fno"}, "at least one pattern or signal detector"),
        ({"universe": "planets", "detectors": ["ANOMALY"]}, "unknown universe"),
        ({"universe": "sector:", "detectors": ["ANOMALY"]}, "needs a name"),
        ({"universe": "watchlist:tech", "detectors": ["ANOMALY"]}, "watchlist:<owner>/<name>"),
        ({"universe": "symbols:", "detectors": ["ANOMALY"]}, "at least one symbol"),
        ({"universe": "symbols:A;DROP TABLE x", "detectors": ["ANOMALY"]}, "is not a symbol"),
        ({"universe": "fno", "patterns": ["rsi_dip"]}, "pattern_id@version"),
        ({"universe": "fno", "patterns": ["x@0"]}, "pattern_id@version"),
        ({"universe": "fno", "patterns": ["__import__('os')@1"]}, "pattern_id@version"),
        ({"universe": "fno", "detectors": ["GAMMA_RAY"]}, "unknown detector"),
        ({"universe": "fno", "detectors": ["CALL_BUILDUP:2"]}, "less than or equal to 1"),
        ({"universe": "fno", "detectors": ["CALL_BUILDUP:nan"]}, "finite"),
        ({"universe": "fno", "detectors": ["CALL_BUILDUP:high"]}, "not a number"),
        ({"universe": "fno", "detectors": ["ANOMALY:0.5"]}, "no confidence"),
        ({"universe": "fno", "detectors": ["ANOMALY"], "as_of": "yesterday-ish"}, "not an instant"),
        ({"universe": "fno", "detectors": ["ANOMALY"], "as_of": "2999-01-01"}, "future"),
        ({"universe": "fno", "detectors": ["ANOMALY"], "provider": "Bad Name"}, "provider"),
        ({"universe": "fno", "detectors": ["ANOMALY"], "match": "most"}, "match"),
        ({"universe": "fno", "detectors": ["ANOMALY"], "extra": 1}, "extra"),
        ({"universe": "fno", "patterns": [f"p{i}@1" for i in range(40)]}, "at most 32"),
    ],
)
def test_bad_specs_are_one_line_errors(fields, says) -> None:
    with pytest.raises(ScanSpecError) as err:
        scan_spec(**fields)
    text = str(err.value)
    assert says in text and "\n" not in text


@pytest.mark.parametrize("universe", ["sector:", "symbols:", "symbols:a;b", "watchlist:x", "moon"])
def test_universe_errors_name_the_field_once(universe: str) -> None:
    for build in (
        lambda: parse_universe(universe),
        lambda: scan_spec(universe=universe, detectors=["ANOMALY"]),
        lambda: ScanSpec.from_json(f'{{"universe": "{universe}", "detectors": ["ANOMALY"]}}'),
    ):
        with pytest.raises(ScanSpecError) as err:
            build()
        assert "universe: universe" not in str(err.value)
        assert str(err.value).count("universe:") <= 1


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=300))
def test_fuzzed_text_is_a_spec_or_a_scan_spec_error(text: str) -> None:
    for parse in (parse_universe, parse_detector):
        try:
            parse(text)
        except ScanSpecError as exc:
            assert "\n" not in str(exc)
    with contextlib.suppress(ScanSpecError):
        ScanSpec.from_json(text)


@settings(max_examples=100, deadline=None)
@given(
    data=st.recursive(
        st.none() | st.booleans() | st.floats() | st.text(max_size=20),
        lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=8), c, max_size=4),
        max_leaves=20,
    )
)
def test_fuzzed_json_is_a_spec_or_a_scan_spec_error(data) -> None:
    with contextlib.suppress(ScanSpecError):
        ScanSpec.from_json({"universe": data, "detectors": data, "patterns": data})


def test_huge_input_is_refused_quickly() -> None:
    with pytest.raises(ScanSpecError):
        parse_universe("symbols:" + ",".join(["A"] * 30_000))
    with pytest.raises(ScanSpecError):
        ScanSpec.from_json("{" * 300_000)


@pytest.mark.parametrize("good", ["30 16 * * 1-5", "*/5 9-15 * * 1-5", "0 0 1,15 * *"])
def test_cron_accepted(good: str) -> None:
    assert validate_cron(good) == good


@pytest.mark.parametrize("bad", ["", "* * * *", "61 * * * *", "* 24 * * *", "5-1 * * * *",
                                 "* * * * 8", "x * * * *", "*/0 * * * *"])  # fmt: skip
def test_cron_refused(bad: str) -> None:
    with pytest.raises(ScanSpecError):
        validate_cron(bad)
