"""Per-user settings on real PostgreSQL: defaults, validation, persistence, audit, JSON."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optionsintel.errors import InputError
from optionsintel.services import user_settings as us


def test_defaults_when_nothing_is_stored(clean_store):
    s = us.get_settings(clean_store, "alice")
    assert s == us.UserSettings()
    assert s.refresh_seconds == 15 and s.number_format == "indian"


def test_set_persists_validates_and_is_audited(clean_store):
    us.set_setting(clean_store, "alice", "refresh_seconds", "30")
    us.set_setting(clean_store, "alice", "colour_scheme", "dark")
    us.set_setting(clean_store, "alice", "default_underlying", " banknifty ")
    s = us.get_settings(clean_store, "alice")
    assert (s.refresh_seconds, s.colour_scheme, s.default_underlying) == (30, "dark", "BANKNIFTY")
    assert us.get_settings(clean_store, "bob") == us.UserSettings()  # keyed by username
    log = clean_store.read("audit_log", where={"action": "settings.update"})
    assert len(log) == 3 and set(log["target"]) == {"alice"}


@pytest.mark.parametrize(
    ("key", "value", "needle"),
    [
        ("refresh_seconds", "1", "greater than or equal to 5"),
        ("refresh_seconds", "99999", "less than or equal to 3600"),
        ("refresh_seconds", "soon", "valid integer"),
        ("decimals", "9", "less than or equal to 6"),
        ("number_format", "roman", "'indian' or 'international'"),
        ("colour_scheme", "pink", "'light', 'dark' or 'auto'"),
        ("default_dashboard", "nowhere", "one of home"),
        ("default_underlying", "NIFTY;DROP", "letters, digits"),
        ("colour", "dark", "unknown setting 'colour'"),
    ],
)
def test_bad_values_are_clear_one_line_errors_and_keep_the_stored(clean_store, key, value, needle):
    us.set_setting(clean_store, "alice", "decimals", 3)
    with pytest.raises(InputError, match=needle) as err:
        us.set_setting(clean_store, "alice", key, value)
    assert "\n" not in str(err.value)
    assert us.get_settings(clean_store, "alice").decimals == 3


def test_reset_and_export_import_round_trip(clean_store):
    us.set_setting(clean_store, "alice", "density", "compact")
    us.set_setting(clean_store, "alice", "default_dashboard", "scanner")
    text = us.export_settings(clean_store, "alice")
    assert json.loads(text)["settings"]["default_dashboard"] == "scanner.ipynb"
    us.reset_settings(clean_store, "alice")
    assert us.get_settings(clean_store, "alice") == us.UserSettings()
    us.import_settings(clean_store, "bob", text)
    assert us.get_settings(clean_store, "bob").density == "compact"
    with pytest.raises(InputError, match="not JSON"):
        us.import_settings(clean_store, "bob", "{nope")
    with pytest.raises(InputError, match="decimals"):
        us.import_settings(clean_store, "bob", '{"decimals": -1}')
    assert us.get_settings(clean_store, "bob").density == "compact"


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.sampled_from([*us.UserSettings.model_fields, "x"]),
                       st.one_of(st.integers(), st.text(max_size=12), st.none())))  # fmt: skip
def test_any_document_is_accepted_or_refused_with_input_error(doc):
    try:
        s = us._validate(doc)
    except InputError as exc:
        assert str(exc).startswith("setting ")
    else:
        assert 5 <= s.refresh_seconds <= 3600 and 0 <= s.decimals <= 6


@pytest.mark.parametrize("text", ['{"decimals": ' + "9" * 5000 + "}", "[" * 100_000])
def test_unparseable_numbers_and_nesting_are_input_errors(text):
    with pytest.raises(InputError, match="not JSON"):
        us.import_settings(None, "bob", text)  # refused before the store is touched
