"""The PostgreSQL store.

Engine resolution (embedded pgserver or ``DATABASE_URL``), the schema, Alembic
migrations, bulk COPY+merge writes, and the typed reads of :mod:`optionsintel.store.reads`
(one function per data set; for market data the provider is a required argument).

This is the only subpackage that imports SQLAlchemy or psycopg.
"""

from optionsintel.store.api import Store, get_serving_store, get_store
from optionsintel.store.engine import resolve_database_url
from optionsintel.store.records import Increment, Now

__all__ = ["Increment", "Now", "Store", "get_serving_store", "get_store", "resolve_database_url"]
