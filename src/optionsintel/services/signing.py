"""The signing secret of login tokens: from the environment, else a file made once.

``OPTIONSINTEL_API_SECRET`` wins (several API workers or hosts must share it). Without
it a random secret is generated on first use and kept in ``<data home>/api_secret``,
created with mode 0600 (owner read/write only) so it survives restarts without ever
being printed.
"""

from __future__ import annotations

import os
from pathlib import Path

from optionsintel.auth import new_secret
from optionsintel.auth.tokens import MIN_SECRET_BYTES
from optionsintel.errors import ConfigurationError
from optionsintel.settings import get_settings

ENV_VAR = "OPTIONSINTEL_API_SECRET"


def api_secret(home: Path | None = None) -> str:
    """The token-signing secret (see the module docstring).

    Raises
    ------
    ConfigurationError
        When the environment's secret is shorter than 32 characters.
    """
    env = os.environ.get(ENV_VAR)
    if env:
        if len(env) < MIN_SECRET_BYTES:
            raise ConfigurationError(f"{ENV_VAR} must have at least {MIN_SECRET_BYTES} characters")
        return env
    path = (home or get_settings().home) / "api_secret"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:  # O_EXCL: of two processes starting together, one writes and both read it
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(new_secret())
    return path.read_text().strip()
