"""Make the ``dagster_project`` code location importable from the repository root."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.fixture
def store_resource(database_url, clean_store):
    from dagster_project.resources import StoreResource

    return StoreResource(database_url=database_url)
