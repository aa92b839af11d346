"""Build a market-data provider by name.

Provider modules are imported lazily, so asking for ``"synthetic"`` never imports
``httpx``-based clients and a missing optional provider only fails when requested.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Sequence
from typing import Any

from optionsintel._typing import ProviderName
from optionsintel.errors import ConfigurationError
from optionsintel.providers.base import MarketDataProvider

_CLASSES: dict[str, tuple[str, str]] = {
    "nse": ("optionsintel.providers.nse", "NSEProvider"),
    "angelone": ("optionsintel.providers.angelone", "AngelOneProvider"),
    "replay": ("optionsintel.providers.replay", "ReplayProvider"),
    "synthetic": ("optionsintel.synthetic", "SyntheticProvider"),
}
DEFAULT_CHAIN: tuple[str, ...] = ("nse", "angelone")


def build_provider(name: ProviderName, settings: Any = None, **kwargs: Any) -> MarketDataProvider:
    """Return a ready provider.

    Parameters
    ----------
    name
        ``"nse"``, ``"angelone"``, ``"replay"``, ``"synthetic"`` or ``"failover"``.
    settings
        :class:`optionsintel.settings.Settings`; ``get_settings()`` when None. Passed to
        providers whose constructor takes ``settings``; the synthetic provider gets
        ``seed=settings.synthetic_seed`` unless ``seed`` is given.
    **kwargs
        Constructor arguments of the provider. For ``"failover"``: ``chain`` (names or
        providers; default ``("nse", "angelone")``, Angel One only when its credentials
        are configured) and any :class:`~optionsintel.providers.failover.FailoverProvider`
        argument.

    Raises
    ------
    ConfigurationError
        For an unknown name or a provider module that is not available.
    """
    settings = _settings(settings)
    if name == "failover":
        return _build_failover(settings, **kwargs)
    if name not in _CLASSES:
        raise ConfigurationError(
            f"unknown provider {name!r}; choose one of {[*_CLASSES, 'failover']}"
        )
    module_name, class_name = _CLASSES[name]
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as exc:
        raise ConfigurationError(
            f"provider {name!r} is not available ({module_name}.{class_name}: {exc})"
        ) from exc
    params = _parameters(cls)
    if "settings" in params and "settings" not in kwargs:
        kwargs["settings"] = settings
    if name == "synthetic" and "seed" in params and "seed" not in kwargs:
        kwargs["seed"] = settings.synthetic_seed
    return cls(**kwargs)


def _build_failover(settings: Any, **kwargs: Any) -> MarketDataProvider:
    from optionsintel.providers.failover import FailoverProvider

    chain: Sequence[str | MarketDataProvider] = kwargs.pop("chain", None) or _default_chain(
        settings
    )
    providers = [build_provider(p, settings) if isinstance(p, str) else p for p in chain]  # type: ignore[arg-type]
    allow = kwargs.pop("allow_synthetic_fallback", settings.allow_synthetic_fallback)
    if allow and "synthetic_provider" not in kwargs:
        kwargs["synthetic_provider"] = lambda: build_provider("synthetic", settings)
    return FailoverProvider(providers, allow_synthetic_fallback=allow, settings=settings, **kwargs)


def _default_chain(settings: Any) -> tuple[str, ...]:
    has_angel = all(
        getattr(settings, f, None)
        for f in (
            "angelone_api_key",
            "angelone_client_code",
            "angelone_pin",
            "angelone_totp_secret",
        )
    )
    return DEFAULT_CHAIN if has_angel else ("nse",)


def _parameters(cls: type) -> set[str]:
    try:
        return set(inspect.signature(cls).parameters)
    except (TypeError, ValueError):
        return set()


def _settings(settings: Any) -> Any:
    if settings is not None:
        return settings
    from optionsintel.settings import get_settings

    return get_settings()
