"""Streaming tool repair: whatever the chunking, the same pieces as repairing the whole text."""

from __future__ import annotations

import pytest

from coderouter_supervisor.worker.translate.stream_tool_repair import Piece, StreamingToolRepair
from coderouter_supervisor.worker.translate.tool_repair import RepairedCall

CHUNK_SIZES = (1, 2, 3, 5, 8, 13, 1000)


def run(text: str, size: int, declared: tuple[str, ...] = ("Bash", "Read")) -> list[Piece]:
    repair = StreamingToolRepair(declared)
    pieces: list[Piece] = []
    for start in range(0, len(text), size):
        pieces += repair.feed(text[start : start + size])
    pieces += repair.flush()
    return pieces


def joined(pieces: list[Piece]) -> tuple[str, list[RepairedCall]]:
    text = "".join(p for p in pieces if isinstance(p, str))
    return text, [p for p in pieces if isinstance(p, RepairedCall)]


@pytest.mark.parametrize("size", CHUNK_SIZES)
def test_tagged_call_after_prose(size: int) -> None:
    text, calls = joined(
        run('Listing.\n<tool_call>{"name": "Bash", "arguments": {"command": "ls"}}</tool_call>', size)
    )
    assert text == "Listing.\n"
    assert calls == [RepairedCall("Bash", '{"command": "ls"}')]


@pytest.mark.parametrize("size", CHUNK_SIZES)
def test_bare_json_line_and_json_fence(size: int) -> None:
    source = (
        'First:\n{"name": "Read", "arguments": {"path": "a.py"}}\n'
        'then:\n```json\n{"name": "Bash", "arguments": "{\\"command\\": \\"pwd\\"}"}\n```\nend'
    )
    pieces = run(source, size)
    _, calls = joined(pieces)
    assert calls == [RepairedCall("Read", '{"path": "a.py"}'), RepairedCall("Bash", '{"command": "pwd"}')]
    assert pieces.index(calls[0]) < pieces.index(calls[1])
    text, _ = joined(pieces)
    assert "First:" in text and "then:" in text and text.endswith("end")


@pytest.mark.parametrize("size", CHUNK_SIZES)
def test_code_blocks_and_undeclared_names_stay_text(size: int) -> None:
    source = (
        "Here is code:\n```python\nconfig = {\n  'name': 'Bash'\n}\n```\n"
        '{"name": "Write", "arguments": {}}\n'
        "<tool_call>not json</tool_call> and { inline braces }\n"
    )
    assert joined(run(source, size)) == (source, [])


@pytest.mark.parametrize("size", CHUNK_SIZES)
def test_json_inside_another_language_block_is_not_a_call(size: int) -> None:
    source = '```js\n{"name": "Bash", "arguments": {"command": "rm -rf /"}}\n```\n'
    assert joined(run(source, size)) == (source, [])


def test_no_declared_tools_passes_everything_at_once() -> None:
    repair = StreamingToolRepair(())
    assert repair.feed('<tool_call>{"name": "Bash", "arguments": {}}</tool_call>') == [
        '<tool_call>{"name": "Bash", "arguments": {}}</tool_call>'
    ]
    assert repair.flush() == []


def test_text_is_released_without_waiting_for_the_end() -> None:
    repair = StreamingToolRepair(("Bash",))
    assert repair.feed("Hello there, ") == ["Hello there, "]
    assert repair.feed("how are you?\n") == ["how are you?\n"]
    # A possible tag prefix is held back, then released once it cannot be a tag.
    assert repair.feed("see <tool") == ["see "]
    assert repair.feed("box>") == ["<toolbox>"]


def test_unclosed_call_at_the_end_is_judged_as_it_stands() -> None:
    pieces = run('<tool_call>{"name": "Bash", "arguments": {"command": "ls"}}', 4)
    assert joined(pieces)[1] == [RepairedCall("Bash", '{"command": "ls"}')]
    assert run("<tool_call>{broken", 3) == ["<tool_call>{broken"]


def test_counts_repaired_calls() -> None:
    repair = StreamingToolRepair(("Bash",))
    repair.feed('{"name": "Bash", "arguments": {}}\n{"name": "Bash", "arguments": {"command": "x"}}')
    repair.flush()
    assert repair.repaired == 2
