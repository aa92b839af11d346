"""Users' saved strategies: insert-only versions, unchanged saves store nothing."""

from __future__ import annotations

import pytest

from optionsintel.errors import InvalidArgumentError, RecordNotFoundError
from optionsintel.services.options_backtests import save_strategy, saved_strategies
from optionsintel.store.strategies import read_user_strategy

LEGS = [{"instrument": "CE", "side": "sell", "strike": 10900.0, "expiry": "2019-01-31",
         "lots": 1, "lot_size": 75, "premium": 211.25}]  # fmt: skip


def test_versions_are_appended_never_updated(clean_store) -> None:
    first, stored = save_strategy(clean_store, "asha", "short call", underlying="NIFTY", legs=LEGS)
    assert stored and first.version == 1 and first.pin == "asha/short call@1"
    again, stored = save_strategy(clean_store, "asha", "short call", underlying="NIFTY", legs=LEGS)
    assert not stored and again.version == 1  # unchanged definition: nothing stored
    changed = [{**LEGS[0], "lots": 2}]
    second, stored = save_strategy(clean_store, "asha", "short call", underlying="NIFTY",
                                   legs=changed, rules={"exit": {"stop_loss": 3000}})  # fmt: skip
    assert stored and second.version == 2
    assert read_user_strategy(clean_store, "asha", "short call", 1).legs == LEGS
    assert read_user_strategy(clean_store, "asha", "short call").rules == {
        "exit": {"stop_loss": 3000}
    }
    listing = saved_strategies(clean_store, "asha")
    assert listing[["name", "version"]].values.tolist() == [["short call", 2]]
    assert saved_strategies(clean_store, "someone else").empty


def test_bad_input_is_refused(clean_store) -> None:
    with pytest.raises(InvalidArgumentError, match="strategy name"):
        save_strategy(clean_store, "asha", "x'; drop table", underlying="NIFTY", legs=LEGS)
    with pytest.raises(InvalidArgumentError, match="at least one leg"):
        save_strategy(clean_store, "asha", "empty", underlying="NIFTY", legs=[])
    with pytest.raises(RecordNotFoundError, match="asha/missing"):
        read_user_strategy(clean_store, "asha", "missing")
