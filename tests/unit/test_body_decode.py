"""A large body is decoded member by member and item by item: the same value, or the same error, as
``json.loads`` gives for the whole text (except the non-JSON numbers it accepts and we refuse)."""

from __future__ import annotations

import json

import pytest

from coderouter_supervisor.worker.ingress.json_pieces import decode_in_pieces

SAME_AS_JSON_LOADS = [
    pytest.param("{}", id="empty-object"),
    pytest.param(" \n{ }\t", id="blank-around"),
    pytest.param('{"messages": []}', id="empty-array"),
    pytest.param('{"a": [ 1 , {"b": [2, 3]} , "x" ] , "c" : null }', id="spaced"),
    pytest.param('{"a": 1, "a": 2}', id="duplicate-key-last-wins"),
    pytest.param('{"s": "\\u00e9\\n", "t": true, "f": 1.5}', id="escapes-and-scalars"),
    pytest.param('{"m": [[1, [2]], {"k": {}}]}', id="nested"),
    pytest.param("[1, 2]", id="not-an-object"),
]

REFUSED_LIKE_JSON_LOADS = [
    pytest.param('{"m": [1, 2,]}', id="trailing-comma-in-array"),
    pytest.param('{"a": 1,}', id="trailing-comma-in-object"),
    pytest.param('{"a": 1} x', id="extra-data"),
    pytest.param('{"a" 1}', id="missing-colon"),
    pytest.param("{a: 1}", id="unquoted-key"),
    pytest.param('{"a": [1 2]}', id="missing-comma-in-array"),
    pytest.param('{"a": 1 "b": 2}', id="missing-comma-in-object"),
    pytest.param('{"a": [', id="cut-in-array"),
    pytest.param('{"a": 1', id="cut-in-object"),
    pytest.param("", id="empty"),
]


@pytest.mark.parametrize("text", SAME_AS_JSON_LOADS)
def test_a_valid_body_decodes_as_json_loads_does(text: str) -> None:
    assert decode_in_pieces(text.encode()) == json.loads(text)


@pytest.mark.parametrize("text", REFUSED_LIKE_JSON_LOADS)
def test_an_invalid_body_is_refused_at_the_same_place_as_json_loads_refuses_it(text: str) -> None:
    with pytest.raises(json.JSONDecodeError) as expected:
        json.loads(text)
    with pytest.raises(json.JSONDecodeError) as got:
        decode_in_pieces(text.encode())
    assert got.value.pos == expected.value.pos


@pytest.mark.parametrize("text", ['{"a": NaN}', '{"a": [Infinity]}', '{"a": 1e999}'])
def test_numbers_json_does_not_have_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"not a JSON number|out of range"):
        decode_in_pieces(text.encode())


# With a long-string bound of 8 characters, these hold long strings: cut out, checked in slices and
# put back, they must decode as json.loads decodes them.
LONG = "x" * 20
LONG_STRINGS = [
    pytest.param(f'{{"data": "{LONG}"}}', id="member"),
    pytest.param(f'{{"m": [{{"c": [{{"s": {{"d": "{LONG}"}}}}]}}, "{LONG}y"]}}', id="nested-and-item"),
    pytest.param(f'{{"{LONG}": 1, "k": ["{LONG}", "{LONG}"]}}', id="key-and-repeats"),
    pytest.param(f'{{"e": "{LONG}\\n\\u00e9{LONG}"}}', id="with-escapes"),
    pytest.param(f'{{"u": "{LONG}é😀日本{LONG}", "v": "ü"}}', id="multibyte-characters"),
    pytest.param(f'{{"q": "a\\"{LONG}\\"b"}}', id="escaped-quotes-around"),
    pytest.param(f'{{"n": [1, 2, {", ".join("3" * 5)}], "s": "{LONG}"}}', id="long-run-outside-strings"),
    pytest.param(f'{{"a": "x", "b": [{" " * 30}], "c": "{LONG}"}}', id="blank-run-between-strings"),
]


@pytest.mark.parametrize("text", LONG_STRINGS)
def test_long_strings_decode_as_json_loads_decodes_them(text: str) -> None:
    assert decode_in_pieces(text.encode(), long_string=8) == json.loads(text)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(f'{{"a": "{LONG}\x01"}}', id="control-character"),
        pytest.param(f'{{"a": "{LONG}\\x"}}', id="bad-escape"),
        pytest.param(f'{{"a": "{LONG}" "b"}}', id="missing-comma-after"),
        pytest.param(f'{{"a": "b"{LONG}"c"}}', id="bare-run-between-strings"),
    ],
)
def test_an_invalid_body_with_long_strings_is_refused_where_json_loads_refuses_it(text: str) -> None:
    with pytest.raises(json.JSONDecodeError) as expected:
        json.loads(text)
    with pytest.raises(json.JSONDecodeError) as got:
        decode_in_pieces(text.encode(), long_string=8)
    assert got.value.pos == expected.value.pos


def test_a_long_string_is_checked_in_slices_not_decoded_in_one_call(monkeypatch: pytest.MonkeyPatch) -> None:
    spans: list[int] = []
    original = json.JSONDecoder.raw_decode

    def measured(decoder: json.JSONDecoder, text: str, at: int = 0) -> tuple[object, int]:
        value, end = original(decoder, text, at)
        spans.append(end - at)
        return value, end

    monkeypatch.setattr(json.JSONDecoder, "raw_decode", measured)
    text = '{"data": "' + "y" * 100 + '", "more": ["' + "z" * 40 + '"]}'
    assert decode_in_pieces(text.encode(), long_string=16) == {"data": "y" * 100, "more": ["z" * 40]}
    # No call decodes the 100 or the 40 characters at once: each string is checked a slice of 16 at
    # a time, and the longest call decodes the marker (36 characters) that stood in for it.
    assert spans and max(spans) < 40, spans


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b'{"a": "' + b"x" * 20 + b'\xff"}', id="in-a-long-string"),
        pytest.param(b'{"a": "' + b"x" * 20 + b'", "b": "\xc3"}', id="after-a-long-string"),
        pytest.param(b'{"b": "\xc3", "a": "' + b"x" * 20 + b'"}', id="before-a-long-string"),
    ],
)
def test_a_body_that_is_not_utf_8_is_refused_as_such(raw: bytes) -> None:
    with pytest.raises(UnicodeDecodeError):
        decode_in_pieces(raw, long_string=8)
