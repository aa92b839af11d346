"""``optionsintel alerts``: run the dispatcher, manage rules, test a channel."""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path

import typer

from optionsintel import jsontext
from optionsintel.cli._common import LazyModule, console, friendly_errors
from optionsintel.errors import AlertRuleError

alert_service = LazyModule("optionsintel.services.alerts")
dispatch_service = LazyModule("optionsintel.services.dispatch")
_settings = LazyModule("optionsintel.settings")
_store = LazyModule("optionsintel.store")
_engine = LazyModule("optionsintel.store.engine")

app = typer.Typer(help="Alerts: rules, the delivery dispatcher, test sends.", no_args_is_help=True)
rules_app = typer.Typer(help="Create, list, mute and delete alert rules.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")


@app.command()
@friendly_errors
def dispatch(
    once: bool = typer.Option(False, "--once", help="Deliver what is due now and exit."),
    batch: int = typer.Option(50, "--batch", min=1, help="Rows claimed per round."),
    lease: float = typer.Option(60.0, "--lease", min=1.0, help="Lease seconds of a claim."),
    max_attempts: int = typer.Option(8, "--max-attempts", min=1, help="Attempts before FAILED."),
    poll: float = typer.Option(1.0, "--poll", min=0.05, help="Poll seconds besides LISTEN."),
) -> None:
    """Deliver the alert outbox until interrupted (SIGINT/SIGTERM stop it cleanly)."""
    # its database sessions carry the dispatcher's name, so the admin dashboard sees it up
    # (on its own engine: the environment is left alone, an in-process caller keeps its own)
    store = _store.get_store(application_name=dispatch_service.APPLICATION_NAME)
    channels = dispatch_service.channels_from_environment(
        store, _settings.get_settings(), os.environ
    )
    policy = dispatch_service.DispatchPolicy(
        max_attempts=max_attempts, lease_seconds=lease, batch_size=batch, poll_seconds=poll
    )
    dispatcher = dispatch_service.Dispatcher(store, channels, policy)
    stop = threading.Event()
    if not once:  # handlers first: a supervisor may signal as soon as we say we run
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
    console.print(f"dispatcher {dispatcher.name}: channels {sorted(channels)}")
    try:
        if once:
            total = 0
            while handled := dispatcher.run_once():
                total += handled
            console.print(f"handled {total} notifications")
            return
        dispatch_service.settle_heap()  # this process is the dispatcher: freeze its start-up heap
        dispatcher.run_forever(stop)
    finally:
        dispatcher.close()
        # its named sessions end with it (run in-process, the caller's pool keeps none)
        _engine.release_engine(store.engine)


def _is_file(source: str) -> bool:
    # Inline JSON longer than a file name's 255 bytes makes stat() fail (ENAMETOOLONG).
    try:
        return Path(source).is_file()
    except (OSError, ValueError):
        return False


def _load(source: str) -> dict:
    text = sys.stdin.read() if source == "-" else None
    if text is None:
        try:
            text = Path(source).read_text(encoding="utf-8") if _is_file(source) else source
        except (OSError, UnicodeDecodeError) as exc:
            raise AlertRuleError(f"cannot read the rule file {source!r}: {exc}") from None
    return _json_object(text, "the rule", "a rule is a JSON object")


def _json_object(text: str, what: str, not_object: str) -> dict:
    """``text`` parsed as a JSON object, or an :class:`AlertRuleError` saying why not."""
    try:
        data = jsontext.loads(text)
    except jsontext.JsonTextError as exc:
        raise AlertRuleError(f"{what} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise AlertRuleError(not_object)
    return data


@rules_app.command("list")
@friendly_errors
def list_(
    owner: str | None = typer.Option(None, "--owner", help="Only this owner's rules."),
) -> None:
    """List the rules."""
    table = alert_service.list_rules(_store.get_store(), owner)
    console.print(table.to_string(index=False) if len(table) else "no alert rules")


@rules_app.command()
@friendly_errors
def create(
    rule: str = typer.Argument(..., help="A JSON file, '-' for stdin, or the JSON itself."),
    replace: bool = typer.Option(False, "--replace", help="Replace an existing rule."),
) -> None:
    """Validate and store a rule (see docs/alerts.md for the fields)."""
    store = _store.get_store()
    data = _load(rule)
    made = (alert_service.update_rule if replace else alert_service.create_rule)(store, data)
    console.print(f"rule {made.owner}/{made.name} ({made.condition.type}) stored")


@rules_app.command()
@friendly_errors
def delete(owner: str, name: str) -> None:
    """Delete a rule, its state and its notifications."""
    gone = alert_service.delete_rule(_store.get_store(), owner, name)
    console.print(f"rule {owner}/{name} " + ("deleted" if gone else "did not exist"))


@rules_app.command()
@friendly_errors
def mute(
    owner: str, name: str, unmute: bool = typer.Option(False, "--unmute", help="Unmute.")
) -> None:
    """Mute (or unmute) a rule: a muted rule is not evaluated."""
    changed = alert_service.mute_rule(_store.get_store(), owner, name, muted=not unmute)
    state = "unmuted" if unmute else "muted"
    console.print(f"rule {owner}/{name} {state}" + ("" if changed else " (already)"))


@app.command("test-send")
@friendly_errors
def test_send(
    kind: str = typer.Argument(..., help="webhook, email, in_app, telegram or sms."),
    target: str = typer.Option("{}", "--target", help='Channel target JSON, e.g. {"to": [...]}'),
    owner: str = typer.Option("admin", "--owner", help="Owner named in the message."),
) -> None:
    """Send a sample notification to one channel target now (no outbox, no retries)."""
    store = _store.get_store()
    channels = dispatch_service.channels_from_environment(
        store, _settings.get_settings(), os.environ
    )
    doc = {"kind": kind, **_json_object(target, "--target", "--target is a JSON object")}
    receipt = dispatch_service.send_test(channels, kind, doc, owner)
    console.print(f"{kind}: delivered (status {receipt.status_code})")
