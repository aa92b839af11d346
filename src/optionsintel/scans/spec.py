"""What a scan asks for: a validated, serialisable :class:`ScanSpec`.

A scan names a **universe** (all F&O underlyings, the equity universe, a sector, a
watchlist or an explicit list), **criteria** (custom patterns pinned to a version,
``"rsi_dip@3"``, and/or built-in detectors: the eight OI signals with a minimum
confidence, the DBSCAN anomaly label), the **instant** it is evaluated at (``as_of``:
None = now, or any past instant, point in time) and the one **provider** every row is
read from. The spec is data: it is stored with every run and with every saved scan,
so a run can be reproduced exactly.

Text forms (the CLI, a saved scan's JSON):

======================  ===============================================
universe                ``fno`` | ``equity`` | ``sector:<name>`` |
                        ``watchlist:<owner>/<name>`` | ``symbols:A,B,C``
pattern pin             ``<pattern_id>@<version>``, e.g. ``rsi_dip@3``
detector                ``CALL_BUILDUP`` | ``CALL_BUILDUP:0.7`` | ``ANOMALY``
======================  ===============================================
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from optionsintel.errors import ScanSpecError
from optionsintel.rules import SIGNAL_TYPES

UniverseKind = Literal["fno", "equity", "sector", "watchlist", "symbols"]
MatchMode = Literal["any", "all"]

MAX_SYMBOLS = 20_000
MAX_CRITERIA = 32
MAX_SPEC_CHARS = 200_000
SYMBOL_RE = re.compile(r"^[A-Z0-9][A-Z0-9&_.\-]{0,39}$")
PIN_RE = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,63}@[1-9][0-9]{0,8}$")
_NAME_RE = re.compile(r"^[\w\-. &]{1,80}$")
_OWNER_RE = re.compile(r"^[\w\-.@]{1,64}$")
DETECTOR_KINDS: tuple[str, ...] = (*SIGNAL_TYPES, "ANOMALY")


def normalise_symbol(symbol: Any) -> str:
    """Upper-cased, stripped symbol; :class:`ScanSpecError` if it is not a symbol."""
    text = str(symbol).strip().upper() if isinstance(symbol, str) else ""
    if not SYMBOL_RE.match(text):
        shown = repr(symbol)[:50]
        raise ScanSpecError(
            f"{shown} is not a symbol (1-40 of A-Z 0-9 & _ . -, starting with a letter/digit)"
        )
    return text


class Universe(BaseModel):
    """Which symbols a scan covers (resolved against the store at run time)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: UniverseKind
    name: str | None = None
    """The sector name, or the watchlist as ``owner/name``."""
    symbols: tuple[str, ...] = ()
    """The explicit list (kind ``symbols``), normalised, unique, in the given order."""

    @model_validator(mode="after")
    def _check(self) -> Universe:
        if self.kind in ("sector", "watchlist"):
            if not self.name or not self.name.strip():
                raise ValueError(f"universe {self.kind} needs a name ({self.kind}:<name>)")
            if self.kind == "watchlist":
                owner, _, name = self.name.partition("/")
                if not name or not _OWNER_RE.match(owner) or not _NAME_RE.match(name):
                    raise ValueError("a watchlist universe is watchlist:<owner>/<name>")
            elif not _NAME_RE.match(self.name):
                raise ValueError(f"sector name {self.name[:40]!r} is not a name")
        elif self.name is not None:
            raise ValueError(f"universe {self.kind} takes no name")
        if self.kind == "symbols":
            if not self.symbols:
                raise ValueError("universe symbols: needs at least one symbol")
            if len(self.symbols) > MAX_SYMBOLS:
                raise ValueError(f"at most {MAX_SYMBOLS} symbols in an explicit universe")
        elif self.symbols:
            raise ValueError(f"universe {self.kind} takes no symbol list")
        return self

    @field_validator("symbols", mode="before")
    @classmethod
    def _symbols(cls, value: Any) -> tuple[str, ...]:
        if isinstance(value, str):
            value = value.split(",")
        if not isinstance(value, list | tuple):
            raise ValueError("symbols is a list of symbols")
        if len(value) > MAX_SYMBOLS:
            raise ValueError(f"at most {MAX_SYMBOLS} symbols in an explicit universe")
        out = [normalise_symbol(s) for s in value if not (isinstance(s, str) and not s.strip())]
        return tuple(dict.fromkeys(out))

    @property
    def text(self) -> str:
        """The text form (``fno``, ``sector:IT``, ``symbols:A,B``...)."""
        if self.kind == "symbols":
            return "symbols:" + ",".join(self.symbols)
        return self.kind if self.name is None else f"{self.kind}:{self.name}"


def parse_universe(text: str | Universe | dict[str, Any]) -> Universe:
    """Parse a universe from its text form (see the module docstring).

    Raises
    ------
    ScanSpecError
        With a one-line message naming what is wrong.
    """
    if isinstance(text, Universe):
        return text
    try:
        if isinstance(text, dict):
            return Universe.model_validate(text)
        if not isinstance(text, str) or len(text) > MAX_SPEC_CHARS:
            raise ScanSpecError("a universe is text: fno, equity, sector:<name>, ...")
        kind, sep, rest = text.strip().partition(":")
        kind = kind.strip().lower()
        if kind not in ("fno", "equity", "sector", "watchlist", "symbols"):
            raise ScanSpecError(
                f"unknown universe {text.strip()[:40]!r}: use fno, equity, sector:<name>, "
                "watchlist:<owner>/<name> or symbols:A,B,C"
            )
        if kind == "symbols":
            return Universe(kind="symbols", symbols=rest)  # type: ignore[arg-type]
        return Universe(kind=kind, name=rest.strip() if sep else None)  # type: ignore[arg-type]
    except ValidationError as exc:
        message = _first(exc)
        raise ScanSpecError(
            message if message.startswith("universe") else f"universe: {message}"
        ) from None


class Detector(BaseModel):
    """A built-in detector: one of the eight OI signals (minimum confidence) or ANOMALY."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: str
    min_confidence: float = Field(default=0.0, ge=0.0, le=1.0, allow_inf_nan=False)

    @field_validator("kind", mode="before")
    @classmethod
    def _kind(cls, value: Any) -> str:
        text = str(value).strip().upper() if isinstance(value, str) else ""
        if text not in DETECTOR_KINDS:
            raise ValueError(
                f"unknown detector {str(value)[:40]!r}; one of {', '.join(DETECTOR_KINDS)}"
            )
        return text

    @model_validator(mode="after")
    def _check(self) -> Detector:
        if self.kind == "ANOMALY" and self.min_confidence:
            raise ValueError("ANOMALY takes no confidence")
        return self

    @property
    def text(self) -> str:
        """``CALL_BUILDUP:0.7``, ``CALL_BUILDUP`` (any confidence) or ``ANOMALY``."""
        if self.kind == "ANOMALY" or not self.min_confidence:
            return self.kind
        return f"{self.kind}:{self.min_confidence:g}"

    @property
    def rule_text(self) -> str:
        """The same detector in the rule language (``SIGNAL(CALL_BUILDUP, 0.7)``)."""
        if self.kind == "ANOMALY":
            return "ANOMALY"
        return f"SIGNAL({self.kind}, {self.min_confidence:g})"


def parse_detector(text: str | Detector | dict[str, Any]) -> Detector:
    """Parse ``CALL_BUILDUP``, ``CALL_BUILDUP:0.7`` (or ``@0.7``) or ``ANOMALY``."""
    if isinstance(text, Detector):
        return text
    try:
        if isinstance(text, dict):
            return Detector.model_validate(text)
        if not isinstance(text, str) or len(text) > 100:
            raise ScanSpecError("a detector is text such as CALL_BUILDUP:0.7 or ANOMALY")
        kind, sep, conf = text.strip().replace("@", ":").partition(":")
        try:
            value = float(conf) if sep else 0.0
        except ValueError:
            msg = f"detector {text[:40]!r}: confidence {conf[:20]!r} is not a number"
            raise ScanSpecError(msg) from None
        return Detector(kind=kind, min_confidence=value)
    except ValidationError as exc:
        raise ScanSpecError(f"detector: {_first(exc)}") from None


class ScanSpec(BaseModel):
    """A scan: universe, criteria (pattern pins and detectors), instant, provider.

    Build it with :func:`scan_spec` (text forms accepted) or :meth:`from_json`;
    ``model_dump(mode="json")`` is what is stored with a run and a saved scan.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    universe: Universe
    patterns: tuple[str, ...] = ()
    """Pinned pattern versions, ``pattern_id@version``."""
    detectors: tuple[Detector, ...] = ()
    as_of: dt.datetime | None = None
    """Evaluate as the market stood at this instant (aware, UTC); None = now."""
    provider: str | None = None
    """The one provider of every row read; None = the provider covering most symbols
    (resolved at run time and recorded with the run)."""
    timeframe: Literal["1d"] = "1d"
    """Daily bars (the history read is what the longest window of the criteria needs)."""
    match: MatchMode = "any"
    """A symbol matches when ``any`` (or ``all``) of the criteria hold at the last bar."""

    @field_validator("universe", mode="before")
    @classmethod
    def _universe(cls, value: Any) -> Universe:
        return parse_universe(value)

    @field_validator("patterns", mode="before")
    @classmethod
    def _patterns(cls, value: Any) -> tuple[str, ...]:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list | tuple):
            raise ValueError("patterns is a list of pins pattern_id@version")
        pins = []
        for pin in value:
            text = pin.strip() if isinstance(pin, str) else ""
            if not PIN_RE.match(text):
                raise ValueError(
                    f"{str(pin)[:60]!r} is not a pinned pattern version (pattern_id@version, "
                    "e.g. rsi_dip@3)"
                )
            pins.append(text)
        return tuple(dict.fromkeys(pins))

    @field_validator("detectors", mode="before")
    @classmethod
    def _detectors(cls, value: Any) -> tuple[Detector, ...]:
        if isinstance(value, str | dict):
            value = [value]
        if not isinstance(value, list | tuple):
            raise ValueError("detectors is a list such as ['CALL_BUILDUP:0.7', 'ANOMALY']")
        found = [parse_detector(d) for d in value]
        return tuple(dict.fromkeys(found))

    @field_validator("as_of", mode="before")
    @classmethod
    def _as_of(cls, value: Any) -> dt.datetime | None:
        if value is None or (isinstance(value, str) and value.strip().lower() in ("", "now")):
            return None
        try:
            ts = pd.Timestamp(value)
        except (ValueError, TypeError):
            raise ValueError(f"as_of {str(value)[:40]!r} is not an instant") from None
        if ts is pd.NaT or pd.isna(ts):
            raise ValueError("as_of is not an instant")
        ts = ts.tz_localize("Asia/Kolkata") if ts.tzinfo is None else ts
        return ts.tz_convert("UTC").to_pydatetime()

    @field_validator("provider", mode="before")
    @classmethod
    def _provider(cls, value: Any) -> str | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if not isinstance(value, str) or not re.match(r"^[a-z][a-z0-9_\-]{0,31}$", value.strip()):
            raise ValueError(f"provider {str(value)[:40]!r} is not a provider name")
        return value.strip()

    @model_validator(mode="after")
    def _check(self) -> ScanSpec:
        if not self.patterns and not self.detectors:
            raise ValueError("a scan needs at least one pattern or signal detector: pick one")
        if len(self.patterns) + len(self.detectors) > MAX_CRITERIA:
            raise ValueError(f"at most {MAX_CRITERIA} patterns and detectors in one scan")
        if self.as_of is not None and self.as_of > dt.datetime.now(dt.UTC) + dt.timedelta(days=1):
            raise ValueError("as_of lies in the future")
        return self

    @property
    def criteria(self) -> tuple[str, ...]:
        """Labels of the criteria, patterns first: pins, then detector texts."""
        return (*self.patterns, *(d.text for d in self.detectors))

    def to_json(self) -> dict[str, Any]:
        """The JSON-ready form stored with runs and saved scans."""
        return self.model_dump(mode="json")

    @classmethod
    def from_json(cls, data: Any) -> ScanSpec:
        """Validate stored or user JSON (a dict or JSON text) into a spec."""
        if isinstance(data, str):
            if len(data) > MAX_SPEC_CHARS:
                raise ScanSpecError(f"a scan spec is at most {MAX_SPEC_CHARS} characters")
            try:
                return cls.model_validate_json(data)
            except ValidationError as exc:
                raise ScanSpecError(f"scan spec: {_first(exc)}") from None
        return scan_spec(**data) if isinstance(data, dict) else scan_spec(universe=data)


def scan_spec(**fields: Any) -> ScanSpec:
    """Build a :class:`ScanSpec` from text or JSON forms of its fields.

    >>> scan_spec(universe="symbols:infy,tcs", detectors=["CALL_BUILDUP:0.7"]).criteria
    ('CALL_BUILDUP:0.7',)

    Raises
    ------
    ScanSpecError
        With a one-line message naming the first thing wrong.
    """
    try:
        return ScanSpec.model_validate(fields)
    except ScanSpecError:
        raise
    except ValidationError as exc:
        raise ScanSpecError(f"scan spec: {_first(exc)}") from None


_CRON_FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31),
                ("month", 1, 12), ("day of week", 0, 7))  # fmt: skip
_CRON_PART = re.compile(r"^(\*|\d{1,2}(-\d{1,2})?)(/\d{1,2})?$")


def validate_cron(text: str) -> str:
    """Check a five-field cron schedule (``"30 16 * * 1-5"``); return it normalised.

    Fields: minute, hour, day of month, month, day of week (0-7, 0 and 7 = Sunday);
    each a ``*``, a number, a range ``a-b`` or a list of those, optionally ``/step``.

    Raises
    ------
    ScanSpecError
        Naming the field that is wrong.
    """
    fields = text.split() if isinstance(text, str) and len(text) <= 120 else []
    if len(fields) != 5:
        raise ScanSpecError(
            f"schedule {str(text)[:40]!r} is not a cron schedule of five fields "
            "(minute hour day month weekday), e.g. '30 16 * * 1-5'"
        )
    for value, (name, lo, hi) in zip(fields, _CRON_FIELDS, strict=True):
        for part in value.split(","):
            m = _CRON_PART.match(part)
            nums = [int(n) for n in re.findall(r"\d+", part.split("/")[0])] if m else []
            step = int(part.split("/")[1]) if m and "/" in part else 1
            if not m or any(n < lo or n > hi for n in nums) or step < 1 or nums != sorted(nums):
                raise ScanSpecError(f"schedule {name} {part!r} is not valid ({lo}-{hi})")
    return " ".join(fields)


def _first(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err.get("loc", ()))
    msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
    # a nested ScanSpecError already names its field ("universe: ..."): say it once
    return f"{where}: {msg}" if where and not msg.startswith(where) else msg
