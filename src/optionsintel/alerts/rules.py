"""The alert rule model: what to watch, when it fires, where it goes.

A rule is plain data validated by pydantic (``extra="forbid"``: a misspelt field is an
error, not a silently ignored one). :func:`parse_rule` turns a mapping into an
:class:`AlertRule` or raises :class:`~optionsintel.errors.AlertRuleError` with a one-line
message naming the field. Conditions are a union discriminated by ``type``; channels a
union discriminated by ``kind``. Secrets never live in a rule: a webhook names the
environment variable holding its signing secret (``OPTIONSINTEL_WEBHOOK_SECRET_<NAME>``).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from optionsintel.errors import AlertRuleError
from optionsintel.signals.config import SignalType, Strength

_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.\- ]{0,79}$"
SECRET_ENV_PATTERN = r"^OPTIONSINTEL_WEBHOOK_SECRET_[A-Z0-9_]{1,64}$"

Direction = Literal["up", "down", "either"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# -- conditions ---------------------------------------------------------------------------


class PriceCondition(_Model):
    """Spot price above / below / crossing a level, or a % change over a window.

    ``op="pct_change"`` fires when the change over the last ``window_minutes`` is at
    least ``value`` percent in ``direction`` (``either``: absolute change).
    """

    type: Literal["PRICE"] = "PRICE"
    op: Literal["above", "below", "crosses", "pct_change"]
    value: float = Field(gt=0)
    window_minutes: int | None = Field(default=None, ge=1, le=24 * 60)
    direction: Direction = "either"

    @model_validator(mode="after")
    def _window(self) -> PriceCondition:
        if (self.op == "pct_change") != (self.window_minutes is not None):
            raise ValueError("window_minutes is required with op='pct_change' and only then")
        return self


class OIChangeCondition(_Model):
    """Change in open interest (vs the previous day, as the exchange reports it).

    ``scope`` picks one strike (``strike`` and ``expiry`` required), one expiry
    (``expiry`` required) or the whole chain; ``side`` the calls, the puts or both;
    ``measure`` an absolute number of contracts or a percentage of the previous OI.
    """

    type: Literal["OI_CHANGE"] = "OI_CHANGE"
    scope: Literal["strike", "expiry", "total"]
    side: Literal["CE", "PE", "both"] = "both"
    measure: Literal["absolute", "pct"]
    threshold: float = Field(gt=0)
    direction: Direction = "either"
    strike: float | None = Field(default=None, gt=0)
    expiry: dt.date | None = None

    @model_validator(mode="after")
    def _scope(self) -> OIChangeCondition:
        if self.scope == "strike" and (self.strike is None or self.expiry is None):
            raise ValueError("scope='strike' needs both strike and expiry")
        if self.scope == "expiry" and (self.expiry is None or self.strike is not None):
            raise ValueError("scope='expiry' needs expiry and no strike")
        if self.scope == "total" and (self.expiry is not None or self.strike is not None):
            raise ValueError("scope='total' takes neither strike nor expiry")
        return self


class VolumeSpikeCondition(_Model):
    """The latest interval's volume is ``multiple`` times its trailing average."""

    type: Literal["VOLUME_SPIKE"] = "VOLUME_SPIKE"
    multiple: float = Field(gt=1)
    window: int = Field(default=20, ge=2, le=500, description="trailing intervals averaged")


class VolatilityCondition(_Model):
    """ATM implied volatility (percent) level or change over a window, or IV rank (0-100)."""

    type: Literal["VOLATILITY"] = "VOLATILITY"
    metric: Literal["atm_iv", "atm_iv_change", "iv_rank"]
    op: Literal["above", "below"]
    value: float
    window_minutes: int | None = Field(default=None, ge=1, le=24 * 60)

    @model_validator(mode="after")
    def _window(self) -> VolatilityCondition:
        if (self.metric == "atm_iv_change") != (self.window_minutes is not None):
            raise ValueError("window_minutes is required with metric='atm_iv_change' and only then")
        if self.metric == "iv_rank" and not 0 <= self.value <= 100:
            raise ValueError("an IV rank threshold lies in [0, 100]")
        return self


class SignalCondition(_Model):
    """Any of the eight OI signals (all when ``signal_types`` is empty) above a bar."""

    type: Literal["SIGNAL"] = "SIGNAL"
    signal_types: tuple[SignalType, ...] = ()
    min_confidence: float = Field(default=0.0, ge=0, le=100)
    min_strength: Strength = Strength.WEAK


class PatternCondition(_Model):
    """A pinned version of a saved pattern matches for a symbol."""

    type: Literal["PATTERN"] = "PATTERN"
    pattern: str = Field(pattern=_NAME)
    version: int = Field(ge=1)


class ScanCondition(_Model):
    """A saved scan has a new match."""

    type: Literal["SCAN"] = "SCAN"
    scan_id: str = Field(pattern=_NAME)


Condition = Annotated[
    PriceCondition
    | OIChangeCondition
    | VolumeSpikeCondition
    | VolatilityCondition
    | SignalCondition
    | PatternCondition
    | ScanCondition,
    Field(discriminator="type"),
]


# -- channels -----------------------------------------------------------------------------


class WebhookTarget(_Model):
    """POST a signed JSON body; the secret comes from the named environment variable."""

    kind: Literal["webhook"] = "webhook"
    url: str = Field(pattern=r"^https?://[^\s]+$", max_length=2000)
    secret_env: str = Field(pattern=SECRET_ENV_PATTERN)


class EmailTarget(_Model):
    """Send an e-mail (plain text and HTML) to these addresses."""

    kind: Literal["email"] = "email"
    to: tuple[Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$", max_length=254)], ...] = Field(
        min_length=1
    )


class InAppTarget(_Model):
    """A row in a user's in-app feed (the rule's owner unless ``user`` is given)."""

    kind: Literal["in_app"] = "in_app"
    user: str | None = Field(default=None, max_length=64)


class TelegramTarget(_Model):
    """A Telegram chat, through the bot whose token is ``OPTIONSINTEL_TELEGRAM_BOT_TOKEN``."""

    kind: Literal["telegram"] = "telegram"
    chat_id: str = Field(pattern=r"^-?[0-9]{1,20}$|^@[A-Za-z0-9_]{5,32}$")


class SmsTarget(_Model):
    """A text message to an E.164 number through the configured SMS provider."""

    kind: Literal["sms"] = "sms"
    to: str = Field(pattern=r"^\+[1-9][0-9]{6,14}$")


ChannelTarget = Annotated[
    WebhookTarget | EmailTarget | InAppTarget | TelegramTarget | SmsTarget,
    Field(discriminator="kind"),
]

CHANNEL_KINDS: tuple[str, ...] = ("webhook", "email", "in_app", "telegram", "sms")


# -- the rule -----------------------------------------------------------------------------


class AlertRule(_Model):
    """One alert rule of one owner.

    Attributes
    ----------
    owner, name
        The rule's key.
    symbols, watchlist
        Exactly one: the instruments watched, or the name of the owner's watchlist.
    condition
        What fires the rule (see the condition classes).
    channels
        Where a trigger goes (one notification per channel).
    cooldown_seconds
        Least time between two triggers of the rule on one instrument.
    hysteresis
        Re-arm only after the condition has been false on a tick (no repeats while it
        stays true); without it the rule fires on every tick past the cooldown.
    active_from, active_until, active_days
        IST wall-clock window and days (``trading_days`` per the NSE calendar,
        ``weekdays`` Monday-Friday, ``every_day``) in which the rule may fire.
    expires_at
        Instant after which the rule never fires (naive = IST).
    max_triggers_per_day
        Most triggers of the rule per IST day, over all its instruments.
    """

    owner: str = Field(pattern=r"^[A-Za-z0-9_.@\-]{1,64}$")
    name: str = Field(pattern=_NAME)
    symbols: tuple[Annotated[str, Field(pattern=r"^[A-Z0-9&_\-]{1,40}$")], ...] = ()
    watchlist: str | None = Field(default=None, pattern=_NAME)
    condition: Condition
    channels: tuple[ChannelTarget, ...] = Field(min_length=1, max_length=10)
    cooldown_seconds: int = Field(default=900, ge=0, le=7 * 86400)
    hysteresis: bool = True
    active_from: dt.time = dt.time(9, 15)
    active_until: dt.time = dt.time(15, 30)
    active_days: Literal["trading_days", "weekdays", "every_day"] = "trading_days"
    expires_at: dt.datetime | None = None
    max_triggers_per_day: int | None = Field(default=None, ge=1, le=10_000)

    @field_validator("active_from", "active_until")
    @classmethod
    def _wall_clock(cls, value: dt.time) -> dt.time:
        if value.tzinfo is not None:
            raise ValueError("active hours are IST wall-clock times: give HH:MM without an offset")
        return value

    @model_validator(mode="after")
    def _targets(self) -> AlertRule:
        if bool(self.symbols) == (self.watchlist is not None):
            raise ValueError("give exactly one of symbols (a non-empty list) or watchlist")
        if len(set(self.symbols)) != len(self.symbols):
            raise ValueError("symbols repeat an instrument")
        if self.active_from >= self.active_until:
            raise ValueError("active_from must be before active_until (IST wall clock)")
        return self


def parse_rule(data: Any) -> AlertRule:
    """Validate ``data`` (a mapping, e.g. parsed JSON) into an :class:`AlertRule`.

    Raises
    ------
    AlertRuleError
        One line naming the first invalid field and why, e.g.
        ``alert rule 'nifty-break': condition.PRICE.value: Input should be greater than 0``.
    """
    if isinstance(data, AlertRule):
        return data
    try:
        return AlertRule.model_validate(data)
    except ValidationError as exc:
        name = data.get("name", "?") if isinstance(data, dict) else "?"
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "rule"
        msg = re.sub(r"^Value error, ", "", err["msg"])
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise AlertRuleError(f"alert rule {name!r}: {where}: {msg}{more}") from None


def rule_document(rule: AlertRule) -> dict[str, Any]:
    """The rule as JSON-compatible data (what the store keeps and :func:`parse_rule` reads)."""
    return rule.model_dump(mode="json")
