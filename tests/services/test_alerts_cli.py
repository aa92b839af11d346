"""``optionsintel alerts``: rules create/list/mute/delete, test-send and dispatch --once."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from alert_fakes import webhook_receiver
from optionsintel.alerts import TickFrames
from optionsintel.cli.main import app
from optionsintel.delivery.webhook import new_secret
from optionsintel.services import alerts as svc
from optionsintel.settings import get_settings
from optionsintel.store.alerts import read_alert_feed, read_alert_notifications
from optionsintel.tz import EXCHANGE_TZ

runner = CliRunner()
ENV = "OPTIONSINTEL_WEBHOOK_SECRET_CLI"


@pytest.fixture
def cli_env(monkeypatch, database_url):
    secret = new_secret()
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv(ENV, secret)
    get_settings.cache_clear()
    yield secret
    get_settings.cache_clear()


def test_rules_commands(cli_env, clean_store, tmp_path) -> None:
    rule = {"owner": "asha", "name": "nifty-up", "symbols": ["NIFTY"],
            "condition": {"type": "PRICE", "op": "above", "value": 25000},
            "channels": [{"kind": "in_app"}]}  # fmt: skip
    path = tmp_path / "rule.json"
    path.write_text(json.dumps(rule))
    out = runner.invoke(app, ["alerts", "rules", "create", str(path)])
    assert out.exit_code == 0, out.output
    again = runner.invoke(app, ["alerts", "rules", "create", str(path)])
    assert again.exit_code == 1 and "already has a rule" in again.output
    bad = runner.invoke(app, ["alerts", "rules", "create", '{"owner": "asha"}'])
    assert bad.exit_code == 1 and "AlertRuleError" in bad.output
    listed = runner.invoke(app, ["alerts", "rules", "list"])
    assert "nifty-up" in listed.output and "ACTIVE" in listed.output
    assert runner.invoke(app, ["alerts", "rules", "mute", "asha", "nifty-up"]).exit_code == 0
    assert "MUTED" in runner.invoke(app, ["alerts", "rules", "list"]).output
    gone = runner.invoke(app, ["alerts", "rules", "delete", "asha", "nifty-up"])
    assert "deleted" in gone.output


def test_test_send_and_dispatch_once(cli_env, clean_store) -> None:
    receiver = webhook_receiver(cli_env)
    try:
        target = json.dumps({"url": receiver.url + "/hook", "secret_env": ENV})
        sent = runner.invoke(app, ["alerts", "test-send", "webhook", "--target", target])
        assert sent.exit_code == 0 and "delivered (status 200)" in sent.output
        missing = json.dumps(
            {"url": receiver.url, "secret_env": "OPTIONSINTEL_WEBHOOK_SECRET_NONE"}
        )
        failed = runner.invoke(app, ["alerts", "test-send", "webhook", "--target", missing])
        assert failed.exit_code == 1 and "PermanentDeliveryError" in failed.output
        assert cli_env.removeprefix("whsec_") not in sent.output + failed.output
        svc.create_rule(clean_store, {
            "owner": "asha", "name": "r", "symbols": ["NIFTY"],
            "condition": {"type": "PRICE", "op": "above", "value": 1},
            "channels": [{"kind": "in_app"},
                         {"kind": "webhook", "url": receiver.url, "secret_env": ENV}],
        })  # fmt: skip
        at = pd.Timestamp("2025-07-16 10:00", tz=EXCHANGE_TZ)
        quotes = pd.DataFrame({"underlying": ["NIFTY"], "snapshot_ts": [at], "ltp": [25000.0]})
        with clean_store.transaction() as writer:
            svc.evaluate_and_enqueue(writer, TickFrames(quotes=quotes), at)
        done = runner.invoke(app, ["alerts", "dispatch", "--once"])
        assert done.exit_code == 0 and "handled 2 notifications" in done.output
    finally:
        receiver.close()
    assert set(read_alert_notifications(clean_store)["status"]) == {"SENT"}
    assert len(read_alert_feed(clean_store, "asha")) == 1
    assert len(receiver.requests) == 2  # the test send and the rule's webhook


@pytest.mark.parametrize(
    ("source", "says"),
    [
        ('{"name": "' + "x" * 400 + '"}', None),  # inline JSON longer than a file name
        ('{"value": ' + "9" * 5000 + "}", "not valid JSON"),
        ("[" * 100_000, "not valid JSON"),
        ("[1, 2]", "a rule is a JSON object"),
    ],
)
def test_rule_text_is_parsed_or_refused_in_one_line(source, says) -> None:
    from optionsintel.cli.alerts import _load
    from optionsintel.errors import AlertRuleError

    if says is None:
        assert _load(source)["name"] == "x" * 400
    else:
        with pytest.raises(AlertRuleError, match=says):
            _load(source)


def test_a_rule_file_that_is_not_utf8_is_refused(tmp_path) -> None:
    from optionsintel.cli.alerts import _load
    from optionsintel.errors import AlertRuleError

    path = tmp_path / "rule.json"
    path.write_bytes(b'{"name": "\xff"}')
    with pytest.raises(AlertRuleError, match="cannot read"):
        _load(str(path))


@pytest.mark.parametrize("target", ["nope", "[]", "1" * 5000])
def test_test_send_target_must_be_a_json_object(cli_env, target) -> None:
    out = runner.invoke(app, ["alerts", "test-send", "in_app", "--target", target])
    assert out.exit_code == 1, out.output
    assert "--target" in out.output and "Traceback" not in out.output
