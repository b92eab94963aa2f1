"""`coderouter-supervisor doctor` against fake upstreams that misbehave in one way each."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from support.configs import providers_yaml
from support.disk_faults import immutable, kept_full, mounted_tmpfs
from support.fake_upstream import Failure, FakeUpstream, Hang, RecordedRequest, Reply, Script, ToolCall, Usage
from support.gateway_process import free_port, run_cli
from support.postgres import PASSWORD, PostgresServer
from support.postgres_databases import fresh_database, postgres

pytestmark = pytest.mark.integration
__all__ = ["postgres"]  # the session's PostgreSQL server, a fixture

MODEL = "fake-model"
CONTEXT = 65536
PROVIDER_CHECKS = (
    "reachable",
    "authenticated",
    "model",
    "plain reply",
    "streaming",
    "tool calling",
    "reasoning",
    "prompt cache",
    "context length",
)


@dataclass(frozen=True)
class Line:
    verdict: str
    detail: str
    fix: str | None


@dataclass(frozen=True)
class DoctorRun:
    code: int
    stdout: str
    stderr: str

    def section(self, title: str) -> dict[str, Line]:
        """The check lines under the section whose title starts with ``title``."""
        blocks = self.stdout.split("\n\n")
        block = next((b for b in blocks if b.startswith(title)), None)
        assert block is not None, f"no section {title!r} in:\n{self.stdout}"
        lines: dict[str, Line] = {}
        last = ""
        for raw in block.splitlines()[1:]:
            text = raw.strip()
            if text.startswith("fix: "):
                lines[last] = Line(lines[last].verdict, lines[last].detail, text[len("fix: ") :])
                continue
            verdict, rest = text.split(None, 1)
            check = next(c for c in (*PROVIDER_CHECKS, *BOX_CHECKS, *SERVER_CHECKS) if rest.startswith(c))
            lines[check] = Line(verdict, rest[len(check) :].strip(), None)
            last = check
        return lines

    def provider(self, name: str) -> dict[str, Line]:
        return self.section(f"provider {name} ")


BOX_CHECKS = ("python", "sqlite", "state file", "free disk", "bind and auth")
# In place of the SQLite file's checks when the state is a PostgreSQL server.
SERVER_CHECKS = ("state store", "state schema", "state access", "clock skew")


def healthy(request: RecordedRequest) -> Script:
    """A backend that does everything: text, reasoning, tool calls when asked, cache usage."""
    if request.body.get("tools"):
        return Reply(text="", tool_calls=(ToolCall("echo", {"text": "hi"}),))
    return Reply(text="PONG", reasoning="The user wants PONG.")


def misbehaving(**when: Script) -> Callable[[RecordedRequest], Script]:
    """Healthy, except for the probes named: ``plain``, ``stream`` or ``tools``."""

    def answer(request: RecordedRequest) -> Script:
        probe = "tools" if request.body.get("tools") else "stream" if request.stream else "plain"
        return when.get(probe) or healthy(request)

    return answer


@pytest.fixture
def upstream() -> Iterator[FakeUpstream]:
    with FakeUpstream(MODEL) as fake:
        fake.responder = healthy
        fake.listed_models = [{"id": MODEL, "context_length": CONTEXT}, {"id": "other-model"}]
        yield fake


def openai_provider(upstream: FakeUpstream, name: str = "local", **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "base_url": upstream.openai_base_url,
        "model": MODEL,
        "capabilities": {"tools": True, "thinking": True},
        **extra,
    }


def anthropic_provider(upstream: FakeUpstream, name: str = "claude", **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "kind": "anthropic",
        "base_url": upstream.anthropic_base_url,
        "model": MODEL,
        "api_key_env": "CLAUDE_KEY",
        "capabilities": {"tools": True, "thinking": True, "prompt_cache": True},
        **extra,
    }


def responses_provider(upstream: FakeUpstream, name: str = "codex", **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "kind": "openai_responses",
        "base_url": upstream.openai_base_url,
        "model": MODEL,
        "capabilities": {"tools": True, "thinking": True},
        **extra,
    }


# What OpenAI answers a chat-shaped body at /v1/responses.
CHAT_SHAPED_REFUSAL = (
    "Unsupported parameter: 'messages'. In the Responses API, this parameter has moved to 'input'."
)


def refusing_chat_shapes(answer: Callable[[RecordedRequest], Script]) -> Callable[[RecordedRequest], Script]:
    """``answer``, except that a body in chat completions' shape at /v1/responses gets OpenAI's 400."""

    def refuse(request: RecordedRequest) -> Script:
        chat_shaped = "messages" in request.body or "max_tokens" in request.body
        if request.path == "/v1/responses" and chat_shaped:
            return Failure(400, CHAT_SHAPED_REFUSAL, "invalid_request_error")
        return answer(request)

    return refuse


def run_doctor(
    tmp_path: Path,
    providers: list[dict[str, Any]],
    *args: str,
    env: dict[str, str] | None = None,
    supervisor: dict[str, Any] | None = None,
    state_db: Path | str | None = None,
) -> DoctorRun:
    config = tmp_path / "providers.yaml"
    names = [p["name"] for p in providers]
    # Several workers share the WAL, as `start` runs by default.
    section = {"workers": 2, **(supervisor or {})}
    config.write_text(providers_yaml(providers, {"main": names}, supervisor=section))
    result = run_cli(
        tmp_path,
        *("doctor", "--config", str(config), "--state", str(state_db or tmp_path / "state.db"), *args),
        env={"CLAUDE_KEY": "sk-ant-test-key", **(env or {})},
        timeout=90,
    )
    return DoctorRun(result.returncode, result.stdout, result.stderr)


def test_a_healthy_provider_of_each_kind_passes_every_check_with_exit_0(
    tmp_path: Path, upstream: FakeUpstream
) -> None:
    run = run_doctor(tmp_path, [openai_provider(upstream), anthropic_provider(upstream)])
    assert run.code == 0, run.stdout + run.stderr
    for name in ("local", "claude"):
        lines = run.provider(name)
        assert list(lines) == list(PROVIDER_CHECKS)
        assert {check: line.verdict for check, line in lines.items()} == dict.fromkeys(PROVIDER_CHECKS, "OK")
        assert str(CONTEXT) in lines["context length"].detail
    assert "reasoning_content" in run.provider("local")["reasoning"].detail
    assert [line.verdict for line in run.section("this machine").values()] == ["OK"] * len(BOX_CHECKS)
    # Whatever the SQLite, doctor says how the WAL is kept safe.
    assert (
        "the supervisor alone runs wal_checkpoint(TRUNCATE)" in run.section("this machine")["sqlite"].detail
    )
    assert run.stdout.rstrip().endswith(": OK")
    assert not (tmp_path / "state.db").exists()  # doctor looks, it does not create
    chats = [r for r in upstream.requests if r.path in ("/v1/chat/completions", "/v1/messages")]
    assert {(r.path, r.stream) for r in chats} == {
        ("/v1/chat/completions", False),
        ("/v1/chat/completions", True),
        ("/v1/messages", False),
        ("/v1/messages", True),
    }
    # Cheap: small answers only (the Anthropic thinking probe needs Anthropic's minimum budget).
    assert all(r.body["max_tokens"] <= 64 for r in chats if "thinking" not in r.body)
    forced = [r.body["tool_choice"] for r in chats if r.body.get("tools")]
    assert {"type": "function", "function": {"name": "echo"}} in forced
    assert {"type": "tool", "name": "echo"} in forced
    assert all(r.headers.get("x-api-key") == "sk-ant-test-key" for r in upstream.calls("/v1/messages"))


def test_a_healthy_responses_provider_is_probed_in_the_responses_api_and_passes_every_check(
    tmp_path: Path, upstream: FakeUpstream
) -> None:
    upstream.responder = refusing_chat_shapes(healthy)
    run = run_doctor(tmp_path, [responses_provider(upstream)])
    assert run.code == 0, run.stdout + run.stderr
    lines = run.provider("codex")
    assert {check: line.verdict for check, line in lines.items()} == dict.fromkeys(PROVIDER_CHECKS, "OK")
    assert lines["plain reply"].detail == "answered 'PONG'"
    assert lines["streaming"].detail.endswith("text 'PONG'")
    assert lines["tool calling"].detail == "called echo"
    assert lines["reasoning"].detail == "reasoning arrives in `reasoning` output items"
    assert lines["prompt cache"].detail == "usage reports input_tokens_details.cached_tokens"
    assert str(CONTEXT) in lines["context length"].detail

    probes = upstream.calls("/v1/responses")
    assert len(probes) == 3 and upstream.calls("/v1/models")
    assert not any("messages" in r.body or "max_tokens" in r.body for r in probes)
    assert all(isinstance(r.body["input"], str) and r.body["max_output_tokens"] <= 2048 for r in probes)
    plain = next(r for r in probes if not r.stream and not r.body.get("tools"))
    assert plain.body["reasoning"] == {"effort": "low"}  # declared to think, so asked to
    tools = next(r for r in probes if r.body.get("tools"))
    assert tools.body["tool_choice"] == {"type": "function", "name": "echo"}
    assert tools.body["tools"][0]["type"] == "function" and tools.body["tools"][0]["name"] == "echo"
    assert [r.stream for r in probes].count(True) == 1


def test_an_unreachable_port_fails_reachable_with_the_base_url_fix(tmp_path: Path) -> None:
    with FakeUpstream(MODEL) as gone:
        base_url = gone.openai_base_url
    run = run_doctor(tmp_path, [{"name": "local", "base_url": base_url, "model": MODEL}])
    assert run.code == 2
    lines = run.provider("local")
    assert lines["reachable"].verdict == "FAIL"
    assert lines["reachable"].fix is not None
    assert f"`base_url` on provider local (now {base_url})" in lines["reachable"].fix
    assert {lines[c].verdict for c in PROVIDER_CHECKS[1:]} == {"SKIP"}


def test_a_refused_key_fails_authenticated_naming_the_variable_and_never_prints_the_key(
    tmp_path: Path, upstream: FakeUpstream
) -> None:
    key = "sk-echoed-provider-key-0123456789abcdef"
    # OpenAI's own 401 quotes the key it was sent.
    upstream.responder = lambda _: Failure(401, f"Incorrect API key provided: {key}", "invalid_request_error")
    upstream.models_failure = Failure(401, f"Incorrect API key provided: {key}")
    provider = openai_provider(upstream, api_key_env="LOCAL_KEY")
    run = run_doctor(tmp_path, [provider], env={"LOCAL_KEY": key})
    assert run.code == 2
    line = run.provider("local")["authenticated"]
    assert line.verdict == "FAIL"
    assert "not authenticated" in line.detail
    assert "HTTP 401" in line.detail
    assert "[redacted]" in line.detail  # the echo was there, and was cut
    assert line.fix is not None and "LOCAL_KEY" in line.fix
    assert upstream.calls("/v1/chat/completions")[0].headers["authorization"] == f"Bearer {key}"
    assert key not in run.stdout
    assert key not in run.stderr
    assert key[:12] in upstream.calls("/v1/chat/completions")[0].headers["authorization"]


def test_a_missing_key_variable_fails_with_the_export_fix_and_sends_nothing(
    tmp_path: Path, upstream: FakeUpstream
) -> None:
    run = run_doctor(tmp_path, [openai_provider(upstream, api_key_env="NOT_SET_ANYWHERE")])
    assert run.code == 2
    line = run.provider("local")["authenticated"]
    assert line.verdict == "FAIL"
    assert line.fix is not None and line.fix.startswith("export NOT_SET_ANYWHERE=...")
    assert upstream.requests == []


def test_an_unknown_model_fails_with_the_models_the_server_lists(
    tmp_path: Path, upstream: FakeUpstream
) -> None:
    upstream.responder = lambda _: Failure(404, "model 'fake-model' not found", "not_found_error")
    run = run_doctor(tmp_path, [openai_provider(upstream)])
    assert run.code == 2
    line = run.provider("local")["model"]
    assert line.verdict == "FAIL"
    assert "not found" in line.detail
    assert line.fix is not None
    assert "`model` on provider local" in line.fix
    assert f"{MODEL}, other-model" in line.fix
    assert upstream.calls("/v1/models")


@pytest.mark.parametrize(
    ("make_provider", "when", "check", "verdict", "detail", "fix", "code"),
    [
        pytest.param(
            openai_provider,
            {"tools": Reply(text="I would rather not.")},
            "tool calling",
            "WARN",
            "no tool call",
            "`capabilities: {tools: false}` on provider local",
            1,
            id="openai-no-tool-call",
        ),
        pytest.param(
            anthropic_provider,
            {"tools": Reply(text="I would rather not.")},
            "tool calling",
            "WARN",
            "no tool call",
            "`capabilities: {tools: false}` on provider claude",
            1,
            id="anthropic-no-tool-call",
        ),
        pytest.param(
            openai_provider,
            {"stream": Reply(text="PONG", stream_as_json=True)},
            "streaming",
            "FAIL",
            "without any stream events",
            "`capabilities: {streaming: false}` on provider local",
            2,
            id="openai-does-not-stream",
        ),
        pytest.param(
            anthropic_provider,
            {"stream": Reply(text="PONG", stream_as_json=True)},
            "streaming",
            "FAIL",
            "without any stream events",
            "`capabilities: {streaming: false}` on provider claude",
            2,
            id="anthropic-does-not-stream",
        ),
        pytest.param(
            openai_provider,
            {"stream": Reply(text="PONG PONG PONG", chunk_chars=2, drop_after=3)},
            "streaming",
            "FAIL",
            "broke off after 3 events",
            "server-sent events",
            2,
            id="openai-broken-stream",
        ),
        pytest.param(
            anthropic_provider,
            {"stream": Reply(text="PONG PONG PONG", chunk_chars=2, drop_after=3)},
            "streaming",
            "FAIL",
            "broke off after 3 events",
            "server-sent events",
            2,
            id="anthropic-broken-stream",
        ),
        pytest.param(
            openai_provider,
            {"plain": Reply(text="PONG", reasoning="thought", usage=Usage(report_cache=False))},
            "prompt cache",
            "WARN",
            "no prompt_tokens_details.cached_tokens",
            "informational",
            1,
            id="openai-no-cache-usage",
        ),
        pytest.param(
            anthropic_provider,
            {"plain": Reply(text="PONG", reasoning="thought", usage=Usage(report_cache=False))},
            "prompt cache",
            "WARN",
            "no cache_read_input_tokens",
            "`capabilities: {prompt_cache: false}` on provider claude",
            1,
            id="anthropic-no-cache-usage",
        ),
        pytest.param(
            openai_provider,
            {"plain": Reply(text="PONG", reasoning="thought", reasoning_field="thinking_text")},
            "reasoning",
            "WARN",
            "non-standard field `thinking_text`",
            "reasoning_content",
            1,
            id="openai-reasoning-in-a-nonstandard-field",
        ),
        pytest.param(
            openai_provider,
            {"plain": Reply(text="<think>hmm</think>PONG")},
            "reasoning",
            "WARN",
            "<think>",
            "`output_filters: [strip_thinking]` on provider local",
            1,
            id="openai-think-tags-in-text",
        ),
        pytest.param(
            responses_provider,
            {"plain": Failure(400, CHAT_SHAPED_REFUSAL, "invalid_request_error")},
            "plain reply",
            "FAIL",
            f"HTTP 400: {CHAT_SHAPED_REFUSAL}",
            "the message above is the backend's own",
            2,
            id="responses-refused",
        ),
        pytest.param(
            responses_provider,
            {"stream": Reply(text="PONG PONG PONG", chunk_chars=2, error_after=5)},
            "streaming",
            "FAIL",
            "the stream reported an error: Overloaded",
            "backend's log",
            2,
            id="responses-stream-failed",
        ),
        pytest.param(
            responses_provider,
            {"stream": Reply(text="PONG", stream_as_json=True)},
            "streaming",
            "FAIL",
            "without any stream events",
            "`capabilities: {streaming: false}` on provider codex",
            2,
            id="responses-does-not-stream",
        ),
        pytest.param(
            responses_provider,
            {"tools": Reply(text="I would rather not.")},
            "tool calling",
            "WARN",
            "no tool call",
            "`capabilities: {tools: false}` on provider codex",
            1,
            id="responses-no-tool-call",
        ),
        pytest.param(
            responses_provider,
            {"plain": Reply(text="PONG")},
            "reasoning",
            "WARN",
            "no reasoning item",
            "`capabilities: {thinking: false}` on provider codex",
            1,
            id="responses-asked-to-reason-but-did-not",
        ),
        pytest.param(
            openai_provider,
            {"plain": Failure(500, "backend exploded")},
            "plain reply",
            "FAIL",
            "HTTP 500: backend exploded",
            "backend's log",
            2,
            id="openai-server-error",
        ),
    ],
)
def test_each_misbehaviour_gets_its_line_its_fix_and_its_exit_status(
    tmp_path: Path,
    upstream: FakeUpstream,
    make_provider: Callable[[FakeUpstream], dict[str, Any]],
    when: dict[str, Script],
    check: str,
    verdict: str,
    detail: str,
    fix: str,
    code: int,
) -> None:
    upstream.responder = misbehaving(**when)
    provider = make_provider(upstream)
    run = run_doctor(tmp_path, [provider])
    assert run.code == code, run.stdout + run.stderr
    lines = run.provider(provider["name"])
    assert lines[check].verdict == verdict
    assert detail in lines[check].detail
    assert lines[check].fix is not None and fix in lines[check].fix
    others = {c: line.verdict for c, line in lines.items() if c != check and line.verdict != "SKIP"}
    assert set(others.values()) == {"OK"}, run.stdout


def test_ollama_without_num_ctx_warns_with_the_extra_body_fix(tmp_path: Path, upstream: FakeUpstream) -> None:
    upstream.listed_models = None  # Ollama's /v1/models says nothing about context
    upstream.ollama_context_length = 131072
    run = run_doctor(tmp_path, [openai_provider(upstream)])
    assert run.code == 1
    line = run.provider("local")["context length"]
    assert line.verdict == "WARN"
    assert "131072" in line.detail
    assert line.fix == "add `extra_body: {options: {num_ctx: 32768}}` on provider local"
    assert upstream.calls("/api/show")[0].body == {"model": MODEL}

    ok = run_doctor(tmp_path, [openai_provider(upstream, extra_body={"options": {"num_ctx": 16384}})])
    assert ok.code == 0, ok.stdout
    assert ok.provider("local")["context length"].detail == "num_ctx 16384 of the model's 131072 tokens"


def test_provider_limits_the_probes_to_one(tmp_path: Path, upstream: FakeUpstream) -> None:
    dead = {"name": "dead", "base_url": "http://127.0.0.1:9/v1", "model": MODEL}
    run = run_doctor(tmp_path, [dead, openai_provider(upstream)], "--provider", "local")
    assert run.code == 0, run.stdout
    assert run.provider("local")["plain reply"].verdict == "OK"
    assert "provider dead" not in run.stdout

    everything = run_doctor(tmp_path, [dead, openai_provider(upstream)])
    assert everything.code == 2
    assert everything.provider("dead")["reachable"].verdict == "FAIL"


def test_an_unknown_provider_is_exit_2_listing_the_known_names(
    tmp_path: Path, upstream: FakeUpstream
) -> None:
    run = run_doctor(
        tmp_path, [openai_provider(upstream), anthropic_provider(upstream)], "--provider", "nope"
    )
    assert run.code == 2
    assert "unknown provider 'nope'" in run.stderr
    assert "local, claude" in run.stderr
    assert run.stdout == ""
    assert upstream.requests == []


def test_listening_beyond_loopback_without_keys_fails_the_bind_check(
    tmp_path: Path, upstream: FakeUpstream
) -> None:
    run = run_doctor(tmp_path, [openai_provider(upstream)], supervisor={"host": "0.0.0.0"})
    assert run.code == 2
    line = run.section("this machine")["bind and auth"]
    assert line.verdict == "FAIL"
    assert "refusing to listen on 0.0.0.0 without client keys" in line.detail

    open_run = run_doctor(
        tmp_path, [openai_provider(upstream)], supervisor={"host": "0.0.0.0", "auth": "none"}
    )
    assert open_run.code == 1
    assert open_run.section("this machine")["bind and auth"].verdict == "WARN"


def test_a_backend_that_never_answers_fails_within_the_probe_timeout(
    tmp_path: Path, upstream: FakeUpstream
) -> None:
    upstream.responder = lambda _: Hang(5)
    started = time.monotonic()
    run = run_doctor(tmp_path, [openai_provider(upstream)], "--timeout", "1")
    assert time.monotonic() - started < 5
    assert run.code == 2
    line = run.provider("local")["reachable"]
    assert line.verdict == "FAIL"
    assert "no answer in time" in line.detail
    assert line.fix is not None and "`timeout_s` on provider local" in line.fix


def _created_state(tmp_path: Path, state_db: Path) -> Path:
    done = run_cli(tmp_path, "keys", "add", "someone", "--state", str(state_db))
    assert done.returncode == 0, done.stderr
    return state_db


@pytest.mark.parametrize("fault", ["disk-full", "read-only-mount", "immutable-file"])
def test_an_unwritable_state_file_is_named_by_its_real_cause(
    tmp_path: Path, upstream: FakeUpstream, fault: str
) -> None:
    state_dir = tmp_path / "state"
    state_db = state_dir / "state.db"
    with contextlib.ExitStack() as stack:
        if fault == "disk-full":
            stack.enter_context(mounted_tmpfs(state_dir, "4m"))
            _created_state(tmp_path, state_db)
            stack.enter_context(kept_full(state_dir))
            cause, fix = f"{state_db} cannot grow: the disk holding it is full", "free some space"
        elif fault == "read-only-mount":
            stack.enter_context(mounted_tmpfs(state_dir, "1m", read_only=True))
            cause, fix = f"{state_db} is on a read-only file system", "remount it read-write"
        else:
            stack.enter_context(immutable(_created_state(tmp_path, state_db)))
            cause, fix = f"{state_db} is immutable (chattr +i)", f"chattr -i -a {state_db}"
        run = run_doctor(tmp_path, [openai_provider(upstream)], state_db=state_db)

    line = run.section("this machine")["state file"]
    assert line.verdict == "FAIL"
    assert cause in line.detail
    assert line.fix is not None and fix in line.fix
    assert "not writable by this user" not in line.detail
    assert run.code == 2


@pytest.mark.parametrize(
    ("capabilities", "thinks"),
    [
        pytest.param({"tools": True}, True, id="anthropic-thinks-unless-marked"),
        pytest.param({"tools": True, "thinking": False}, False, id="marked-not-to-think"),
    ],
)
def test_doctor_asks_to_think_exactly_where_routing_sends_thinking(
    tmp_path: Path, upstream: FakeUpstream, capabilities: dict[str, Any], thinks: bool
) -> None:
    """An Anthropic provider whose model no rule knows: routing counts it as able to think (a
    thinking request goes to it first), so doctor must ask it to think too, not call it undeclared."""
    run = run_doctor(tmp_path, [anthropic_provider(upstream, capabilities=capabilities)])
    asked = [r for r in upstream.calls("/v1/messages") if "thinking" in r.body]
    reasoning = run.provider("claude")["reasoning"]
    if thinks:
        assert asked, "doctor did not ask the provider to think"
        assert reasoning.verdict == "OK" and reasoning.detail == "a thinking block came back"
    else:
        assert asked == []


@pytest.mark.requires("postgresql")
def test_a_postgresql_state_is_checked_for_reach_schema_access_and_clock(
    tmp_path: Path, upstream: FakeUpstream, postgres: PostgresServer, request: pytest.FixtureRequest
) -> None:
    url = fresh_database(postgres, request)
    fresh = run_doctor(tmp_path, [openai_provider(upstream)], state_db=url)
    server = fresh.section("this machine")
    assert [c for c in server if c in SERVER_CHECKS] == list(SERVER_CHECKS)
    assert "sqlite" not in server and "state file" not in server and "free disk" not in server
    assert server["state store"].verdict == "OK" and "PostgreSQL" in server["state store"].detail
    assert server["state schema"].verdict == "WARN"  # never migrated: `start` will
    assert (server["state access"].verdict, server["clock skew"].verdict) == ("OK", "OK")
    assert PASSWORD not in fresh.stdout + fresh.stderr

    migrated = run_cli(tmp_path, "keys", "add", "someone", "--state", url)
    assert migrated.returncode == 0, migrated.stderr
    run = run_doctor(tmp_path, [openai_provider(upstream)], state_db=url)
    assert run.code == 0, run.stdout
    assert run.section("this machine")["state schema"].verdict == "OK"

    # A user who may read but not write the gateway's tables: each table is named.
    database = url.rsplit("/", 1)[1]
    reader = f"reader_{database}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {reader} LOGIN PASSWORD '{PASSWORD}'")
        conn.execute(f"GRANT USAGE ON SCHEMA public TO {reader}")
        conn.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {reader}")
    as_reader = f"postgresql://{reader}:{PASSWORD}@127.0.0.1:{postgres.port}/{database}"
    limited = run_doctor(tmp_path, [openai_provider(upstream)], state_db=as_reader)
    access = limited.section("this machine")["state access"]
    assert limited.code == 2 and access.verdict == "FAIL" and access.fix is not None
    assert "budget_ledger" in access.detail and "client_key" in access.detail  # SELECT alone is not enough

    nowhere = f"postgresql://coderouter:{PASSWORD}@127.0.0.1:{free_port()}/coderouter"
    down = run_doctor(tmp_path, [openai_provider(upstream)], state_db=nowhere)
    assert down.code == 2
    unreachable = down.section("this machine")["state store"]
    assert unreachable.verdict == "FAIL" and unreachable.fix is not None
    assert PASSWORD not in down.stdout + down.stderr
