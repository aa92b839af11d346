"""The PostgreSQL store.

Engine resolution (embedded pgserver or ``DATABASE_URL``), the schema, Alembic
migrations, bulk COPY+merge writes and frame-returning reads.

This is the only subpackage that imports SQLAlchemy or psycopg.
"""

from optionsintel.store.api import Store, get_store
from optionsintel.store.engine import resolve_database_url
from optionsintel.store.records import Increment, Now

__all__ = ["Increment", "Now", "Store", "get_store", "resolve_database_url"]
