from __future__ import annotations

import json
from typing import Any

import pytest

from coderouter_supervisor.worker.providers.request_body import encode_by_message

LONG = 'ab"c\\é😀\n' * 300_000  # past one slice, with every kind of character JSON escapes


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"messages": [{"role": "user", "content": "hi"}]}, id="only-messages"),
        pytest.param(
            {"model": "m", "messages": [{"role": "user", "content": "hi"}] * 3, "max_tokens": 5},
            id="fields-around",
        ),
        pytest.param(
            {
                "model": "m",
                "messages": [
                    {
                        "role": "user",
                        "content": [
                            {"type": "image", "source": {"data": LONG}},
                            {"type": "text", "text": ""},
                        ],
                    },
                    {"role": "assistant", "content": [], "extra": {"n": 1.5, "ok": True, "none": None}},
                ],
            },
            id="a-long-string-and-nested-values",
        ),
    ],
)
def test_encoding_by_message_says_what_json_dumps_says(body: dict[str, Any]) -> None:
    chunks = encode_by_message(body, body["messages"])
    encoded = b"".join(chunks)
    assert encoded.isascii()  # escaped as json.dumps escapes, whatever the upstream's decoder
    assert json.loads(encoded) == body


def test_a_long_string_is_sent_in_chunks_of_about_one_slice() -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": LONG}, {"role": "user", "content": "hi"}]}
    chunks = encode_by_message(body, body["messages"])
    # 2.4 M characters (three slices) escape to 8.1 MB; no chunk holds more than one 1 MiB slice of
    # it, escaped (3.4 bytes a character here), and what was gathered before it.
    assert len(chunks) >= 3
    assert max(len(chunk) for chunk in chunks) <= 4 * 1024 * 1024
    assert json.loads(b"".join(chunks)) == body
