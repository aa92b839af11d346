"""Health of the provider chain for ``optionsintel providers status``.

It sits beside (not inside) the mechanism: it depends on the registry and on the
failover chain, and neither of them depends on it.
"""

from __future__ import annotations

import pandas as pd

from optionsintel.providers.failover import FailoverProvider
from optionsintel.providers.registry import ProviderConfig, build_provider


def providers_status(
    provider: FailoverProvider | None = None,
    *,
    config: ProviderConfig | None = None,
    probe: bool = False,
    underlying: str = "NIFTY",
) -> pd.DataFrame:
    """Breaker states and health of the providers.

    Parameters
    ----------
    provider
        The running failover chain; None builds the configured one
        (:func:`~optionsintel.providers.registry.build_provider` ``"failover"``).
    config
        Resolved provider values used when building the chain.
    probe
        Ask every provider for a quote of ``underlying`` first, so the figures say
        something about a freshly built chain (this touches the network).
    underlying
        Symbol used by the probe.

    Returns
    -------
    pandas.DataFrame
        :data:`~optionsintel.providers.failover.HEALTH_COLUMNS`, one row per provider.
    """
    if provider is None:
        built = build_provider("failover", config)
        if not isinstance(built, FailoverProvider):  # the registry's contract, checked
            raise TypeError(f"'failover' built a {type(built).__name__}")
        provider = built
    return provider.probe(underlying) if probe else provider.health()
