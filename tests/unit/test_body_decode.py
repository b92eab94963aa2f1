"""A large body is decoded member by member and item by item: the same value, or the same error, as
``json.loads`` gives for the whole text (except the non-JSON numbers it accepts and we refuse)."""

from __future__ import annotations

import json

import pytest

from coderouter_supervisor.worker.ingress.body import decode_in_pieces

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
    assert decode_in_pieces(text) == json.loads(text)


@pytest.mark.parametrize("text", REFUSED_LIKE_JSON_LOADS)
def test_an_invalid_body_is_refused_at_the_same_place_as_json_loads_refuses_it(text: str) -> None:
    with pytest.raises(json.JSONDecodeError) as expected:
        json.loads(text)
    with pytest.raises(json.JSONDecodeError) as got:
        decode_in_pieces(text)
    assert got.value.pos == expected.value.pos


@pytest.mark.parametrize("text", ['{"a": NaN}', '{"a": [Infinity]}', '{"a": 1e999}'])
def test_numbers_json_does_not_have_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"not a JSON number|out of range"):
        decode_in_pieces(text)
