"""The deferred ``rfc3987_syntax``: same answers as the real module, built only when used.

Each case runs in a fresh interpreter (the deferral only applies before jsonschema's
first import, which the test process has long done).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytest.importorskip("rfc3987_syntax")

IRIS = [
    "http://example.com/",
    "https://例え.テスト/パス?q=ü#frag",
    "http://exa mple.com/",
    "ht tp:",
    "mailto:someone@example.com",
    "urn:isbn:0451450523",
    "//relative/reference",
    "",
    "http://[::1]:80/",
    "http://[::1/",
    "file:///tmp/x%20y",
    "http://example.com/%zz",
]

_PROBE = """
import json, sys
{prelude}
import jsonschema
from jsonschema import Draft202012Validator, FormatChecker
built_at_import = "rfc3987_syntax.syntax_helpers" in sys.modules
iris = json.loads(sys.argv[1])
out = {{}}
for fmt in ("iri", "iri-reference"):
    v = Draft202012Validator({{"type": "string", "format": fmt}}, format_checker=FormatChecker())
    out[fmt] = [v.is_valid(s) for s in iris]
print(json.dumps({{"built_at_import": built_at_import, "answers": out,
                  "module": type(sys.modules["rfc3987_syntax"]).__name__}}))
"""


def _run(prelude: str) -> dict:
    code = _PROBE.format(prelude=prelude)
    done = subprocess.run(
        [sys.executable, "-c", code, json.dumps(IRIS)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_jsonschema_after_optionsintel_gives_the_real_answers_without_building_at_import() -> None:
    real = _run("")
    deferred = _run("import optionsintel")
    assert real["built_at_import"] is True
    assert deferred["built_at_import"] is False
    assert deferred["answers"] == real["answers"]
    assert deferred["module"] == "module"  # the real module replaced the stand-in on first use
    assert real["answers"]["iri"][0] is True and real["answers"]["iri"][2] is False


def test_the_stand_in_serves_other_names_and_submodules() -> None:
    code = (
        "import optionsintel, sys\n"
        "import rfc3987_syntax\n"
        "assert type(rfc3987_syntax).__name__ == '_DeferredRfc3987Syntax'\n"
        "import rfc3987_syntax.utils\n"
        "assert rfc3987_syntax.is_valid_syntax_iri('http://example.com/')\n"
        "assert 'rfc3987_syntax.syntax_helpers' in sys.modules\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


def test_nothing_is_installed_once_jsonschema_is_loaded() -> None:
    import jsonschema  # noqa: F401  (loaded in this process already, or now)

    from optionsintel._deferred_imports import defer_rfc3987_syntax

    assert defer_rfc3987_syntax() is False
