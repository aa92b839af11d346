"""Every way JSON text can be refused is one JsonTextError with a one-line message."""

from __future__ import annotations

import pytest

from optionsintel import jsontext


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('{"a": 1,}', "line 1 column 9"),
        ("[" * 100_000, "nested too deeply"),
        ("9" * 5000, "digits"),
        ("", "line 1 column 1"),
    ],
)
def test_refusals_are_one_error_with_one_line(text: str, says: str) -> None:
    with pytest.raises(jsontext.JsonTextError, match=says) as info:
        jsontext.loads(text)
    assert "\n" not in str(info.value) and isinstance(info.value, ValueError)


def test_values_and_keyword_arguments_pass_through() -> None:
    assert jsontext.loads('{"a": [1, 2.5, null]}') == {"a": [1, 2.5, None]}

    def refuse(name: str) -> float:
        raise ValueError(f"{name} is not allowed")

    with pytest.raises(jsontext.JsonTextError, match="NaN is not allowed"):
        jsontext.loads("[NaN]", parse_constant=refuse)
