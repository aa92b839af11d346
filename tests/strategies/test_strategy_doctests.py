"""The strategies package's docstring examples run and stay right."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["breakevens", "templates"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(f"optionsintel.strategies.{name}")
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
