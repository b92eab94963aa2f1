"""`doctor`'s pure verdicts: observed answers and box facts in, OK / WARN / FAIL (and the fix) out."""

from __future__ import annotations

import errno
import os
from typing import Any

import pytest

from coderouter_supervisor.supervisor.commands.doctor.answers import (
    judge_cache_usage,
    judge_plain_reply,
    judge_reasoning,
    judge_stream,
    judge_tools,
)
from coderouter_supervisor.supervisor.commands.doctor.box import (
    DISK_FAIL_BYTES,
    DISK_WARN_BYTES,
    WriteRefusal,
    judge_bind,
    judge_free_disk,
    judge_python,
    judge_sqlite,
    judge_state_location,
)
from coderouter_supervisor.supervisor.commands.doctor.checks import (
    judge_authenticated,
    judge_context,
    judge_model,
    judge_provider,
    judge_reachable,
)
from coderouter_supervisor.supervisor.commands.doctor.results import (
    Answer,
    CheckResult,
    Observed,
    ProbeFailure,
    StreamAnswer,
    Verdict,
    is_model_failure,
    render_section,
    worst,
)
from coderouter_supervisor.supervisor.lifecycle.wal_keeper import describe_protection
from coderouter_supervisor.worker.config import ProviderConfig
from coderouter_supervisor.worker.telemetry.write_policy import write_policy


def provider(kind: str = "openai_compat", **fields: Any) -> ProviderConfig:
    return ProviderConfig.model_validate(
        {"name": "p", "kind": kind, "base_url": "http://127.0.0.1:11434/v1", "model": "m", **fields}
    )


def openai_answer(message: dict[str, Any], usage: dict[str, Any] | None = None) -> Answer:
    payload: dict[str, Any] = {"choices": [{"index": 0, "message": {"role": "assistant", **message}}]}
    if usage is not None:
        payload["usage"] = usage
    return Answer(payload=payload)


def anthropic_answer(*blocks: dict[str, Any], usage: dict[str, Any] | None = None) -> Answer:
    payload: dict[str, Any] = {"type": "message", "content": list(blocks)}
    if usage is not None:
        payload["usage"] = usage
    return Answer(payload=payload)


def http_failure(status: int, message: str = "nope") -> Answer:
    return Answer(failure=ProbeFailure("http", message, status))


OPENAI_DONE = StreamAnswer(
    events=(
        {"choices": [{"index": 0, "delta": {"content": "PO"}}]},
        {"choices": [{"index": 0, "delta": {"content": "NG"}, "finish_reason": "stop"}]},
    ),
    saw_done=True,
)


@pytest.mark.parametrize(
    ("verdicts", "expected"),
    [
        pytest.param([], "OK", id="nothing"),
        pytest.param(["OK", "SKIP"], "OK", id="skip-counts-as-ok"),
        pytest.param(["OK", "WARN", "SKIP"], "WARN", id="warn"),
        pytest.param(["WARN", "FAIL", "OK"], "FAIL", id="fail-wins"),
    ],
)
def test_worst_ranks_fail_over_warn_over_ok(verdicts: list[Verdict], expected: Verdict) -> None:
    assert worst(CheckResult("c", v, "") for v in verdicts) == expected


@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        pytest.param(ProbeFailure("http", "model 'x' not found", 404), True, id="404"),
        pytest.param(ProbeFailure("http", "x is not a valid model ID", 400), True, id="openrouter-400"),
        pytest.param(ProbeFailure("http", "max_tokens too large", 400), False, id="other-400"),
        pytest.param(ProbeFailure("http", "boom", 500), False, id="500"),
        pytest.param(ProbeFailure("unreachable", "refused"), False, id="unreachable"),
        pytest.param(None, False, id="answered"),
    ],
)
def test_is_model_failure(failure: ProbeFailure | None, expected: bool) -> None:
    assert is_model_failure(failure) is expected


def test_unreachable_and_timeout_fail_reachable_with_the_setting_to_change() -> None:
    refused = judge_reachable(provider(), Answer(failure=ProbeFailure("unreachable", "refused")))
    assert refused.verdict == "FAIL"
    assert refused.fix is not None and "`base_url` on provider p" in refused.fix
    slow = judge_reachable(provider(timeout_s=5), Answer(failure=ProbeFailure("timeout", "slow")))
    assert slow.verdict == "FAIL"
    assert slow.fix is not None and "`timeout_s` on provider p (now 5)" in slow.fix
    assert judge_reachable(provider(), http_failure(500)).verdict == "OK"


@pytest.mark.parametrize(
    ("fields", "answer", "verdict", "fix_has"),
    [
        pytest.param({"api_key_env": "K"}, http_failure(401), "FAIL", "check the key in K", id="401"),
        pytest.param({"api_key_env": "K"}, http_failure(403), "FAIL", "check the key in K", id="403"),
        pytest.param({}, http_failure(401), "FAIL", "`api_key_env: NAME` on provider p", id="401-no-env"),
        pytest.param({"api_key_env": "K"}, openai_answer({"content": "hi"}), "OK", None, id="accepted"),
        pytest.param({}, Answer(failure=ProbeFailure("timeout", "slow")), "SKIP", None, id="no-answer"),
    ],
)
def test_authenticated(fields: dict[str, Any], answer: Answer, verdict: Verdict, fix_has: str | None) -> None:
    result = judge_authenticated(provider(**fields), answer)
    assert result.verdict == verdict
    if fix_has is None:
        assert result.fix is None
    else:
        assert result.fix is not None and fix_has in result.fix
        assert "not authenticated" in result.detail


def _listing(*ids: str) -> Answer:
    return Answer(payload={"object": "list", "data": [{"id": i} for i in ids]})


@pytest.mark.parametrize(
    ("plain", "models", "verdict", "fix_has"),
    [
        pytest.param(openai_answer({"content": "hi"}), _listing("m", "n"), "OK", None, id="listed"),
        pytest.param(openai_answer({"content": "hi"}), None, "OK", None, id="no-listing"),
        pytest.param(
            openai_answer({"content": "hi"}), _listing("m:latest"), "WARN", "listed name", id="alias"
        ),
        pytest.param(http_failure(404), _listing("a", "b"), "FAIL", "lists: a, b", id="404-with-list"),
        pytest.param(http_failure(404), http_failure(404), "FAIL", "GET /models", id="404-no-list"),
        pytest.param(http_failure(500), None, "SKIP", None, id="other-error"),
    ],
)
def test_model(plain: Answer, models: Answer | None, verdict: Verdict, fix_has: str | None) -> None:
    result = judge_model(provider(), plain, models)
    assert result.verdict == verdict
    assert (result.fix is None) is (fix_has is None)
    if fix_has is not None:
        assert result.fix is not None and fix_has in result.fix


def test_a_long_model_list_is_shortened_in_the_fix() -> None:
    result = judge_model(provider(), http_failure(404), _listing(*(f"m{i}" for i in range(20))))
    assert result.fix is not None
    assert "m7, … (20 in all)" in result.fix
    assert "m8" not in result.fix


def test_plain_reply_needs_text() -> None:
    assert judge_plain_reply(provider(), openai_answer({"content": "PONG"})).verdict == "OK"
    assert judge_plain_reply(provider(), openai_answer({"content": None})).verdict == "WARN"
    blocks = anthropic_answer({"type": "text", "text": "PONG"})
    assert judge_plain_reply(provider("anthropic"), blocks).detail == "answered 'PONG'"
    failed = judge_plain_reply(provider(), http_failure(500, "exploded"))
    assert (failed.verdict, failed.detail) == ("FAIL", "HTTP 500: exploded")


@pytest.mark.parametrize(
    ("kind", "stream", "verdict", "detail_has"),
    [
        pytest.param("openai_compat", OPENAI_DONE, "OK", "text 'PONG'", id="openai-ok"),
        pytest.param(
            "anthropic",
            StreamAnswer(
                events=(
                    {"type": "content_block_delta", "delta": {"type": "text_delta", "text": "PONG"}},
                    {"type": "message_stop"},
                )
            ),
            "OK",
            "text 'PONG'",
            id="anthropic-ok",
        ),
        pytest.param(
            "openai_compat",
            StreamAnswer(events=OPENAI_DONE.events[:1], failure=ProbeFailure("mid-stream", "reset")),
            "FAIL",
            "broke off after 1 events",
            id="broken",
        ),
        pytest.param("openai_compat", StreamAnswer(), "FAIL", "without any stream events", id="no-events"),
        pytest.param(
            "openai_compat",
            StreamAnswer(events=({"error": {"message": "Overloaded"}},), saw_done=False),
            "FAIL",
            "Overloaded",
            id="error-event",
        ),
        pytest.param(
            "anthropic",
            StreamAnswer(events=({"type": "content_block_delta", "delta": {"text": "P"}},)),
            "WARN",
            "no `message_stop`",
            id="anthropic-no-terminator",
        ),
        pytest.param(
            "openai_compat",
            StreamAnswer(failure=ProbeFailure("http", "no streams here", 400)),
            "FAIL",
            "HTTP 400",
            id="refused",
        ),
    ],
)
def test_stream(kind: str, stream: StreamAnswer, verdict: Verdict, detail_has: str) -> None:
    result = judge_stream(provider(kind), stream)
    assert result.verdict == verdict
    assert detail_has in result.detail
    assert (result.fix is None) is (verdict == "OK")


def _tool_call(name: str = "echo") -> dict[str, Any]:
    return {"id": "c1", "type": "function", "function": {"name": name, "arguments": '{"text": "hi"}'}}


@pytest.mark.parametrize(
    ("kind", "tools_declared", "answer", "verdict", "text_has"),
    [
        pytest.param(
            "openai_compat",
            True,
            openai_answer({"tool_calls": [_tool_call()]}),
            "OK",
            "called echo",
            id="native",
        ),
        pytest.param(
            "openai_compat",
            False,
            openai_answer({"tool_calls": [_tool_call()]}),
            "OK",
            "declare `capabilities: {tools: true}`",
            id="native-undeclared",
        ),
        pytest.param(
            "openai_compat",
            True,
            openai_answer({"content": '{"name": "echo", "arguments": {"text": "hi"}}'}),
            "OK",
            "as text",
            id="text-call-repaired",
        ),
        pytest.param(
            "openai_compat",
            True,
            openai_answer({"content": "no"}),
            "WARN",
            "set `capabilities: {tools: false}` on provider p",
            id="none-declared-true",
        ),
        pytest.param(
            "openai_compat",
            False,
            openai_answer({"content": "no"}),
            "WARN",
            "choose a model",
            id="none-undeclared",
        ),
        pytest.param(
            "anthropic",
            True,
            anthropic_answer({"type": "tool_use", "id": "t", "name": "echo", "input": {}}),
            "OK",
            "called echo",
            id="anthropic",
        ),
        pytest.param(
            "openai_compat",
            True,
            http_failure(400, "does not support tools"),
            "WARN",
            "does not support tools",
            id="refused",
        ),
    ],
)
def test_tools(kind: str, tools_declared: bool, answer: Answer, verdict: Verdict, text_has: str) -> None:
    result = judge_tools(provider(kind, capabilities={"tools": tools_declared}), answer)
    assert result.verdict == verdict
    assert text_has in f"{result.detail} {result.fix}"


@pytest.mark.parametrize(
    ("kind", "answer", "expected", "verdict", "text_has"),
    [
        pytest.param(
            "openai_compat",
            openai_answer({"content": "x", "reasoning_content": "r"}),
            True,
            "OK",
            "`reasoning_content`",
        ),
        pytest.param(
            "openai_compat", openai_answer({"content": "x", "reasoning": "r"}), True, "OK", "`reasoning`"
        ),
        pytest.param(
            "openai_compat",
            openai_answer({"content": "x", "reasoning_content": "r"}),
            False,
            "OK",
            "declare `capabilities: {thinking: true}`",
            id="undeclared-thinker",
        ),
        pytest.param(
            "openai_compat",
            openai_answer({"content": "x", "thinking_text": "r"}),
            False,
            "WARN",
            "non-standard field `thinking_text`",
            id="nonstandard",
        ),
        pytest.param(
            "openai_compat",
            openai_answer({"content": "<think>r</think>x"}),
            False,
            "WARN",
            "`output_filters: [strip_thinking]`",
            id="think-tags",
        ),
        pytest.param(
            "openai_compat",
            openai_answer({"content": "x"}),
            True,
            "WARN",
            "reasoning_control",
            id="declared-but-absent",
        ),
        pytest.param(
            "openai_compat", openai_answer({"content": "x"}), False, "OK", "none declared", id="none"
        ),
        pytest.param(
            "anthropic",
            anthropic_answer({"type": "thinking", "thinking": "r", "signature": "s"}),
            True,
            "OK",
            "thinking block",
        ),
        pytest.param(
            "anthropic",
            anthropic_answer({"type": "text", "text": "x"}),
            True,
            "WARN",
            "`capabilities: {thinking: false}`",
            id="anthropic-asked-but-absent",
        ),
    ],
)
def test_reasoning(kind: str, answer: Answer, expected: bool, verdict: Verdict, text_has: str) -> None:
    result = judge_reasoning(provider(kind), answer, expected)
    assert result.verdict == verdict
    assert text_has in f"{result.detail} {result.fix}"


@pytest.mark.parametrize(
    ("kind", "usage", "prompt_cache", "verdict", "text_has"),
    [
        pytest.param(
            "openai_compat",
            {"prompt_tokens": 3, "prompt_tokens_details": {"cached_tokens": 0}},
            False,
            "OK",
            "cached",
        ),
        pytest.param(
            "openai_compat", {"prompt_tokens": 3}, False, "WARN", "informational", id="openai-absent"
        ),
        pytest.param(
            "anthropic",
            {"input_tokens": 3, "cache_read_input_tokens": 0, "cache_creation_input_tokens": 0},
            True,
            "OK",
            "cache_read_input_tokens",
        ),
        pytest.param(
            "anthropic",
            {"input_tokens": 3},
            True,
            "WARN",
            "`capabilities: {prompt_cache: false}`",
            id="anthropic-absent-declared",
        ),
        pytest.param("openai_compat", None, False, "WARN", "no usage at all", id="no-usage"),
    ],
)
def test_cache_usage(
    kind: str, usage: dict[str, Any] | None, prompt_cache: bool, verdict: Verdict, text_has: str
) -> None:
    answer = Answer(payload={"usage": usage} if usage is not None else {})
    result = judge_cache_usage(provider(kind, capabilities={"prompt_cache": prompt_cache}), answer)
    assert result.verdict == verdict
    assert text_has in f"{result.detail} {result.fix}"


def _show(length: int) -> Answer:
    return Answer(payload={"model_info": {"qwen3.context_length": length}})


@pytest.mark.parametrize(
    ("fields", "models", "show", "verdict", "text_has"),
    [
        pytest.param(
            {}, None, _show(131072), "WARN", "`extra_body: {options: {num_ctx: 32768}}`", id="ollama-default"
        ),
        pytest.param({}, None, _show(8192), "WARN", "num_ctx: 8192}", id="ollama-small-model"),
        pytest.param(
            {"extra_body": {"options": {"num_ctx": 16384}}},
            None,
            _show(131072),
            "OK",
            "num_ctx 16384",
            id="ollama-set",
        ),
        pytest.param(
            {},
            Answer(payload={"data": [{"id": "m", "max_model_len": 40960}]}),
            None,
            "OK",
            "40960",
            id="vllm",
        ),
        pytest.param(
            {},
            Answer(
                payload={
                    "data": [
                        {"id": "other", "context_length": 1},
                        {"id": "m", "top_provider": {"context_length": 200000}},
                    ]
                }
            ),
            None,
            "OK",
            "200000",
            id="openrouter",
        ),
        pytest.param(
            {},
            Answer(payload={"data": [{"id": "m"}]}),
            http_failure(404),
            "SKIP",
            "does not report",
            id="none",
        ),
    ],
)
def test_context(
    fields: dict[str, Any], models: Answer | None, show: Answer | None, verdict: Verdict, text_has: str
) -> None:
    result = judge_context(provider(**fields), models, show)
    assert result.verdict == verdict
    assert text_has in f"{result.detail} {result.fix}"


def test_a_missing_key_fails_authenticated_and_skips_everything_else() -> None:
    results = judge_provider(
        provider(api_key_env="OPENROUTER_API_KEY"), False, Observed(), thinking_expected=False
    )
    verdicts = {r.check: r.verdict for r in results}
    assert verdicts.pop("authenticated") == "FAIL"
    assert set(verdicts.values()) == {"SKIP"}
    fix = next(r.fix for r in results if r.check == "authenticated")
    assert fix is not None and fix.startswith("export OPENROUTER_API_KEY=...")


def test_a_failed_plain_request_skips_the_later_probes_in_a_fixed_order() -> None:
    observed = Observed(plain=http_failure(404), models=_listing("a"))
    results = judge_provider(provider(), True, observed, thinking_expected=False)
    assert [r.check for r in results] == [
        "reachable",
        "authenticated",
        "model",
        "plain reply",
        "streaming",
        "tool calling",
        "reasoning",
        "prompt cache",
        "context length",
    ]
    assert [r.verdict for r in results[:3]] == ["OK", "OK", "FAIL"]
    assert {r.verdict for r in results[3:]} == {"SKIP"}


@pytest.mark.parametrize(
    ("version", "workers", "bug"),
    [
        pytest.param("3.40.1", 4, True, id="bug-many-workers"),
        pytest.param("3.40.1", 1, True, id="bug-one-worker"),
        pytest.param("3.51.3", 4, False, id="fixed"),
    ],
)
def test_sqlite_says_which_protection_is_in_force(version: str, workers: int, bug: bool) -> None:
    protection = describe_protection(write_policy("default"))
    result = judge_sqlite(version, workers, wal_reset_bug=bug, protection=protection)
    assert result.verdict == "OK"
    assert result.fix is None
    assert version in result.detail
    assert protection in result.detail
    assert ("WAL-reset bug" in result.detail) is bug


def test_checkpoint_protection_names_the_profile_interval() -> None:
    assert "every 1s" in describe_protection(write_policy("default"))
    assert "every 60s" in describe_protection(write_policy("low_write"))


def test_python_before_3_11_fails() -> None:
    assert judge_python((3, 10, 12)).verdict == "FAIL"
    assert judge_python((3, 11, 0)).verdict == "OK"


@pytest.mark.parametrize(
    ("fstype", "refused", "verdict"),
    [
        pytest.param("ext4", None, "OK", id="local"),
        pytest.param(None, None, "OK", id="unknown-fs"),
        pytest.param("nfs4", None, "FAIL", id="nfs"),
        pytest.param("cifs", None, "FAIL", id="smb"),
        pytest.param("ext4", errno.EACCES, "FAIL", id="permissions"),
    ],
)
def test_state_location(fstype: str | None, refused: int | None, verdict: Verdict) -> None:
    refusal = None if refused is None else WriteRefusal("/s/state.db", refused, os.strerror(refused))
    result = judge_state_location("/s/state.db", fstype, refusal)
    assert result.verdict == verdict
    assert (result.fix is not None and "--state" in result.fix) is (verdict == "FAIL")


@pytest.mark.parametrize(
    ("refused", "cause", "fix"),
    [
        pytest.param(errno.ENOSPC, "the disk holding it is full", "free some space", id="full"),
        pytest.param(errno.EDQUOT, "the disk holding it is over its quota", "free some space", id="quota"),
        pytest.param(errno.EROFS, "/s/state.db is on a read-only file system", "remount", id="read-only-fs"),
        pytest.param(errno.EPERM, "/s is immutable (chattr +i)", "`chattr -i -a /s`", id="immutable"),
        pytest.param(errno.EACCES, "/s is not writable by this user", "permissions", id="permissions"),
        pytest.param(errno.EIO, "cannot write /s: Input/output error", "--state", id="other"),
    ],
)
def test_a_refused_write_names_its_cause(refused: int, cause: str, fix: str) -> None:
    result = judge_state_location("/s/state.db", "ext4", WriteRefusal("/s", refused, os.strerror(refused)))
    assert result.verdict == "FAIL"
    assert cause in result.detail
    assert result.fix is not None and fix in result.fix


@pytest.mark.parametrize(
    ("free", "verdict"),
    [
        pytest.param(DISK_FAIL_BYTES - 1, "FAIL", id="nearly-full"),
        pytest.param(DISK_WARN_BYTES - 1, "WARN", id="low"),
        pytest.param(DISK_WARN_BYTES, "OK", id="enough"),
    ],
)
def test_free_disk(free: int, verdict: Verdict) -> None:
    assert judge_free_disk("/s", free).verdict == verdict


def test_bind_and_auth() -> None:
    refused = judge_bind("0.0.0.0:8088", loopback=False, auth_off=False, refusal="refusing to listen")
    assert (refused.verdict, refused.detail) == ("FAIL", "refusing to listen")
    assert judge_bind("0.0.0.0:8088", loopback=False, auth_off=True, refusal=None).verdict == "WARN"
    assert judge_bind("0.0.0.0:8088", loopback=False, auth_off=False, refusal=None).detail.endswith(
        "client keys required"
    )
    assert judge_bind("127.0.0.1:8088", loopback=True, auth_off=False, refusal=None).verdict == "OK"


def test_a_fix_is_printed_only_for_a_problem() -> None:
    lines = render_section(
        "t",
        [CheckResult("model", "OK", "fine", "unused"), CheckResult("streaming", "FAIL", "broken", "do this")],
    )
    assert lines[0] == "t"
    assert "unused" not in "\n".join(lines)
    assert lines[-1].strip() == "fix: do this"
    assert lines[-2].split() == ["FAIL", "streaming", "broken"]
