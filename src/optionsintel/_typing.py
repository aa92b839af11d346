"""Small type aliases shared across the library."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, TypeAlias

if TYPE_CHECKING:  # the CLI imports this module for ProviderName: keep it free of pandas
    import numpy as np
    import numpy.typing as npt
    import pandas as pd

OptionType: TypeAlias = Literal["CE", "PE"]
ArrayLike: TypeAlias = "float | npt.NDArray[np.float64] | pd.Series"
Segment: TypeAlias = Literal["index", "equity", "commodity", "currency"]
Provider: TypeAlias = str
"""The provider stamped on a stored row: a built-in source name or a user's import name."""
ProviderName: TypeAlias = Literal["nse", "angelone", "replay", "synthetic", "failover"]
"""A data source the platform can build (see :mod:`optionsintel.providers`)."""
