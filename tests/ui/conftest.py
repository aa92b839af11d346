"""UI tests: each test starts without a viewer's settings active (the apps activate them)."""

import pytest

from optionsintel.ui import theme


@pytest.fixture(autouse=True)
def _no_active_settings():
    theme.activate(None)
    yield
    theme.activate(None)
