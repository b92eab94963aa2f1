from __future__ import annotations

import pytest

from coderouter_supervisor.worker.translate import (
    StopMarkerFilter,
    TextFilter,
    ThinkingFilter,
    apply_filters,
    build_filter_chain,
    strip_stop_markers,
    strip_thinking,
)


def stream(text_filter: TextFilter, pieces: list[str]) -> list[str]:
    out = [text_filter.feed(piece) for piece in pieces]
    out.append(text_filter.flush())
    return out


@pytest.mark.parametrize(
    ("pieces", "released"),
    [
        pytest.param(["<think>secret</think>Hello"], ["Hello", ""], id="whole"),
        pytest.param(
            ["<thi", "nk>sec", "ret</thi", "nk>Hel", "lo"], ["", "", "", "Hel", "lo", ""], id="split-tags"
        ),
        pytest.param(["a <", "b"], ["a ", "<b", ""], id="lookalike-released-once-impossible"),
        pytest.param(["x <th"], ["x ", "<th"], id="partial-tag-at-end-released"),
        pytest.param(["<think>never closed"], ["", ""], id="unclosed-drops-rest"),
        pytest.param(["a<think>1</think>b<think>2</think>c"], ["abc", ""], id="two-spans"),
        pytest.param(["1 < 2 and <b>bold</b>"], ["1 < 2 and <b>bold</b>", ""], id="ordinary-angle-brackets"),
    ],
)
def test_thinking_filter_streams(pieces: list[str], released: list[str]) -> None:
    assert stream(ThinkingFilter(), pieces) == released


@pytest.mark.parametrize(
    ("pieces", "joined"),
    [
        pytest.param(["Hel", "lo<|im_end|>"], "Hello", id="peer-example"),
        pytest.param(["Hi<|eo", "t_id|>"], "Hi", id="split-marker"),
        pytest.param(["a<|", "x"], "a<|x", id="lookalike"),
        pytest.param(["end<|en"], "end<|en", id="partial-flushed-verbatim"),
        pytest.param(["<|end|>a<|im_start|>b"], "ab", id="several"),
        pytest.param(["<s>strike</s>"], "<s>strike</s>", id="html-untouched"),
    ],
)
def test_stop_marker_filter_streams(pieces: list[str], joined: str) -> None:
    assert "".join(stream(StopMarkerFilter(), pieces)) == joined


def test_chain_applies_in_order_across_chunks() -> None:
    chain = build_filter_chain(["strip_thinking", "strip_stop_markers"])
    assert stream(chain, ["<think>hidden</think>Hel", "lo<|im_", "end|>"]) == ["Hel", "lo", "", ""]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("<think>a</think>Answer", "Answer", id="span"),
        pytest.param("prompt-opened reasoning</think>Answer", "Answer", id="opener-in-prompt"),
        pytest.param("no thinking here", "no thinking here", id="plain"),
    ],
)
def test_strip_thinking_one_shot(text: str, expected: str) -> None:
    assert strip_thinking(text) == expected


def test_one_shot_helpers() -> None:
    assert strip_stop_markers("done<|eot_id|>") == "done"
    assert apply_filters("<think>x</think>ok<|end|>", ["strip_thinking", "strip_stop_markers"]) == "ok"
