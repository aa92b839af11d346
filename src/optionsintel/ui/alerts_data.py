"""The alerts manager's data access: use cases of :mod:`optionsintel.services.alerts`.

The widgets receive an :class:`AlertsSource` of plain callables (bound to a store by
:func:`alerts_source`), so tests inject their own and no SQL lives in widget code.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from optionsintel.alerts import AlertRule
from optionsintel.services import alerts as svc
from optionsintel.services import dispatch
from optionsintel.services import patterns as pattern_svc
from optionsintel.store import Store


@dataclass(frozen=True)
class AlertsSource:
    """What the alerts manager may ask for, each a callable (see :func:`alerts_source`)."""

    rules: Callable[[str], pd.DataFrame]
    """An owner's rules as a table (name, type, status, instruments, channels, cooldown)."""
    get: Callable[[str, str], AlertRule]
    create: Callable[[Mapping[str, Any]], AlertRule]
    update: Callable[[Mapping[str, Any]], AlertRule]
    mute: Callable[[str, str, bool], bool]
    delete: Callable[[str, str], bool]
    history: Callable[[str, str], pd.DataFrame]
    """A rule's notifications, newest first (:func:`services.alerts.rule_history`)."""
    attempts: Callable[[str], pd.DataFrame]
    """Every delivery attempt of one notification."""
    test_send: Callable[[str, Mapping[str, Any], str], Any]
    """``(kind, target, owner)`` -> the receipt of a sample sent straight to the target."""
    feed: Callable[[str], pd.DataFrame]
    unread: Callable[[str], int]
    mark_read: Callable[[str, str], bool]
    patterns: Callable[[], list[Any]]
    """Saved patterns (heads), for the PATTERN rules' picker."""
    versions: Callable[[str], list[Any]]


def alerts_source(store: Store, environ: Mapping[str, str] | None = None) -> AlertsSource:
    """Bind the alerts manager's data functions to ``store``.

    Test-sends use the channels configured by the platform settings and ``environ``
    (default: the process environment): the secrets stay in the environment.
    """
    from optionsintel.settings import get_settings

    def test_send(kind: str, target: Mapping[str, Any], owner: str) -> Any:
        env = os.environ if environ is None else environ
        channels = dispatch.channels_from_environment(store, get_settings(), env)
        return dispatch.send_test(channels, kind, {"kind": kind, **target}, owner)

    return AlertsSource(
        rules=lambda owner: svc.list_rules(store, owner=owner),
        get=lambda owner, name: svc.get_rule(store, owner, name),
        create=lambda doc: svc.create_rule(store, doc),
        update=lambda doc: svc.update_rule(store, doc),
        mute=lambda owner, name, muted: svc.mute_rule(store, owner, name, muted=muted),
        delete=lambda owner, name: svc.delete_rule(store, owner, name),
        history=lambda owner, name: svc.rule_history(store, owner, name),
        attempts=lambda key: svc.delivery_attempts(store, key),
        test_send=test_send,
        feed=lambda user: svc.read_feed(store, user),
        unread=lambda user: svc.unread_count(store, user),
        mark_read=lambda user, key: svc.mark_read(store, user, key),
        patterns=lambda: pattern_svc.list_patterns(store),
        versions=lambda pid: pattern_svc.version_history(store, pid),
    )
