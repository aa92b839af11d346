"""The one provider registry: every data source by name, what it can serve, how it is built.

A source name (:data:`optionsintel._typing.ProviderName`) is resolved here and nowhere
else: the CLI, the pipeline and the Dagster resources ask the registry for a live
:class:`~optionsintel.providers.base.MarketDataProvider` (:func:`build_provider`) or a
:class:`~optionsintel.providers.base.BackfillSource` (:func:`build_backfill`).

Provider modules are imported lazily, so asking for ``"synthetic"`` never imports the
``httpx``-based clients and a missing optional provider fails only when requested.
Settings are not read here: the caller resolves them once into a :class:`ProviderConfig`
(:meth:`ProviderConfig.from_settings`) where the application is assembled.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

from optionsintel._typing import ProviderName
from optionsintel.errors import ConfigurationError, OptionsIntelError
from optionsintel.providers.base import BackfillSource, MarketDataProvider

if TYPE_CHECKING:
    from optionsintel.providers.angelone_client import AngelOneCredentials
    from optionsintel.settings import Settings

PROVIDER_NAMES: tuple[ProviderName, ...] = get_args(ProviderName)
DEFAULT_CHAIN: tuple[ProviderName, ...] = ("nse", "angelone")
_ANGEL_FIELDS = ("api_key", "client_code", "pin", "totp_secret")


class BackfillNotSupportedError(OptionsIntelError):
    """The source serves only the present; past days come from replay or synthetic."""


@dataclass(frozen=True)
class ProviderConfig:
    """Plain typed values the providers need, resolved once by the caller.

    Attributes
    ----------
    synthetic_seed
        Seed of the synthetic market.
    allow_synthetic_fallback
        Let the failover chain fall back to synthetic data (opt-in, labelled).
    failover_chain
        Providers of the failover chain in order; None = ``nse`` then ``angelone``
        when its credentials are configured.
    angelone
        Angel One credentials (None when not configured).
    cache_dir
        Folder of on-disk caches (Angel One's instrument master).
    replay_data_dir
        Folder of recorded data for ``replay`` (None = the packaged recordings).
    """

    synthetic_seed: int = 7
    allow_synthetic_fallback: bool = False
    failover_chain: tuple[ProviderName, ...] | None = None
    angelone: AngelOneCredentials | None = None
    cache_dir: Path | None = None
    replay_data_dir: Path | None = None

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> ProviderConfig:
        """Resolve the provider values of ``settings`` (and explicit ``overrides``) once.

        Angel One credentials are read only when all four are set (else None).
        """
        creds = None
        if all(getattr(settings, f"angelone_{f}", None) for f in _ANGEL_FIELDS):
            from optionsintel.providers.angelone_client import AngelOneCredentials

            creds = AngelOneCredentials.from_settings(settings)
        config = cls(
            synthetic_seed=settings.synthetic_seed,
            allow_synthetic_fallback=settings.allow_synthetic_fallback,
            angelone=creds,
            cache_dir=settings.cache_dir,
        )
        return replace(config, **overrides)

    def chain(self) -> tuple[ProviderName, ...]:
        """The failover chain in force."""
        if self.failover_chain is not None:
            return self.failover_chain
        return DEFAULT_CHAIN if self.angelone is not None else ("nse",)


Builder = Callable[[ProviderConfig, dict[str, Any]], MarketDataProvider]


@dataclass(frozen=True)
class ProviderSpec:
    """What the registry knows of one source.

    Attributes
    ----------
    name
        The source name.
    live
        Serves the present (wall-clock) market.
    simulated_clock
        The provider takes a ``clock=`` (replay, synthetic: any instant can be asked).
    build
        Builds the live provider from a config and constructor keyword arguments.
    backfill
        Builds the :class:`BackfillSource`, None for live-only sources.
    """

    name: ProviderName
    live: bool
    simulated_clock: bool
    build: Builder
    backfill: Callable[[ProviderConfig], BackfillSource] | None = None


def _nse(config: ProviderConfig, kw: dict[str, Any]) -> MarketDataProvider:
    from optionsintel.providers.nse import NSEProvider

    return NSEProvider(**kw)


def _angelone(config: ProviderConfig, kw: dict[str, Any]) -> MarketDataProvider:
    from optionsintel.providers.angelone import AngelOneProvider

    if "client" not in kw:
        kw.setdefault("credentials", config.angelone)
    kw.setdefault("cache_dir", config.cache_dir)
    return AngelOneProvider(**kw)


def _replay(config: ProviderConfig, kw: dict[str, Any]) -> MarketDataProvider:
    from optionsintel.providers.replay import ReplayProvider

    kw.setdefault("data_dir", config.replay_data_dir)
    return ReplayProvider(**kw)


def _synthetic(config: ProviderConfig, kw: dict[str, Any]) -> MarketDataProvider:
    from optionsintel.providers.synthetic import SyntheticProvider

    kw.setdefault("seed", config.synthetic_seed)
    return SyntheticProvider(**kw)


def _failover(config: ProviderConfig, kw: dict[str, Any]) -> MarketDataProvider:
    from optionsintel.providers.failover import FailoverProvider

    chain: Sequence[str | MarketDataProvider] = kw.pop("chain", None) or config.chain()
    providers = [build_provider(p, config) if isinstance(p, str) else p for p in chain]  # type: ignore[arg-type]
    allow = kw.pop("allow_synthetic_fallback", config.allow_synthetic_fallback)
    if allow and "synthetic_provider" not in kw:
        kw["synthetic_provider"] = lambda: build_provider("synthetic", config)
    return FailoverProvider(providers, allow_synthetic_fallback=allow, **kw)


def _replay_backfill(config: ProviderConfig) -> BackfillSource:
    from optionsintel.providers.replay_backfill import ReplayBackfill

    return ReplayBackfill(config.replay_data_dir)


def _synthetic_backfill(config: ProviderConfig) -> BackfillSource:
    from optionsintel.providers.synthetic import SyntheticBackfill

    return SyntheticBackfill(config.synthetic_seed)


REGISTRY: Mapping[ProviderName, ProviderSpec] = {
    "nse": ProviderSpec("nse", live=True, simulated_clock=False, build=_nse),
    "angelone": ProviderSpec("angelone", live=True, simulated_clock=False, build=_angelone),
    "failover": ProviderSpec("failover", live=True, simulated_clock=False, build=_failover),
    "replay": ProviderSpec("replay", False, True, _replay, _replay_backfill),
    "synthetic": ProviderSpec("synthetic", False, True, _synthetic, _synthetic_backfill),
}
BACKFILL_SOURCES: tuple[ProviderName, ...] = tuple(
    n for n, s in REGISTRY.items() if s.backfill is not None
)


def provider_spec(name: str) -> ProviderSpec:
    """The registry entry of ``name``.

    Raises
    ------
    ConfigurationError
        For an unknown name (the message lists the known ones).
    """
    try:
        return REGISTRY[name]  # type: ignore[index]
    except KeyError:
        raise ConfigurationError(
            f"unknown provider {name!r}; choose one of {list(REGISTRY)}"
        ) from None


def build_provider(
    name: ProviderName, config: ProviderConfig | None = None, **kwargs: Any
) -> MarketDataProvider:
    """Return a ready live provider.

    Parameters
    ----------
    name
        ``"nse"``, ``"angelone"``, ``"replay"``, ``"synthetic"`` or ``"failover"``.
    config
        Resolved provider values (:meth:`ProviderConfig.from_settings`); defaults when None.
    **kwargs
        Constructor arguments of the provider. For ``"failover"``: ``chain`` (names or
        providers; default :meth:`ProviderConfig.chain`) and any
        :class:`~optionsintel.providers.failover.FailoverProvider` argument.

    Raises
    ------
    ConfigurationError
        For an unknown name or a provider module that is not available.
    """
    spec = provider_spec(name)
    try:
        return spec.build(config or ProviderConfig(), dict(kwargs))
    except ImportError as exc:
        raise ConfigurationError(f"provider {name!r} is not available ({exc})") from exc


def build_backfill(name: ProviderName, config: ProviderConfig | None = None) -> BackfillSource:
    """Return the :class:`BackfillSource` of ``name`` (``replay`` or ``synthetic``).

    Raises
    ------
    BackfillNotSupportedError
        For live-only sources (``nse``, ``angelone``, ``failover``).
    ConfigurationError
        For an unknown name.
    """
    spec = provider_spec(name)
    if spec.backfill is None:
        raise BackfillNotSupportedError(
            f"source {name!r} serves only live data and cannot backfill past days; "
            f"materialise past days with one of {list(BACKFILL_SOURCES)}"
        )
    return spec.backfill(config or ProviderConfig())
