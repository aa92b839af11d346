"""The REST API ``/api/v2`` (FastAPI): an entry point over :mod:`optionsintel.services`.

>>> from optionsintel.api import create_app
>>> app = create_app()          # the store is opened on the first request
"""

from optionsintel.api.app import API_PREFIX, create_app

__all__ = ["API_PREFIX", "create_app"]
