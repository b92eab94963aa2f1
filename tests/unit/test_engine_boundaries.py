"""The engine's seams: no web framework inside it, the request object only at the ingress edge,
and client protocols and upstream kinds looked up in the adapter table, never compared by name."""

from __future__ import annotations

import ast
import types
from pathlib import Path
from typing import get_args

import pytest

from coderouter_supervisor.worker import adapters, engine
from coderouter_supervisor.worker.adapters import (
    ADAPTERS,
    CLIENT_PROTOCOLS,
    UPSTREAM_KINDS,
    ClientName,
    adapter_for,
    model_call_protocol,
    passthrough_adapter,
)
from coderouter_supervisor.worker.config import ProviderKind

WORKER = Path(engine.__file__).resolve().parents[1]
PROTOCOL_NAMES = {*get_args(ClientName), *get_args(ProviderKind)}


def sources(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.py"))


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", sources(WORKER / "engine"), ids=lambda p: p.name)
def test_the_engine_imports_no_web_framework(path: Path) -> None:
    assert not {name for name in imported_modules(path) if name.split(".")[0] == "starlette"}


@pytest.mark.parametrize("path", sources(WORKER / "engine"), ids=lambda p: p.name)
def test_no_engine_function_takes_a_request(path: Path) -> None:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for arg in [*node.args.args, *node.args.kwonlyargs]:
                named = (
                    {n.id for n in ast.walk(arg.annotation) if isinstance(n, ast.Name)}
                    if arg.annotation
                    else set()
                )
                assert "Request" not in named, (node.name, arg.arg)


def test_the_request_locator_is_called_only_at_the_ingress_edge() -> None:
    callers = set()
    for path in sources(WORKER):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "gateway_of"
            ):
                callers.add(path.relative_to(WORKER).parts[0])
    assert callers == {"ingress"}


def _compared_names(node: ast.Compare) -> set[str]:
    found: set[str] = set()
    for operand in [node.left, *node.comparators]:
        elements = operand.elts if isinstance(operand, ast.Tuple | ast.Set | ast.List) else [operand]
        found.update(e.value for e in elements if isinstance(e, ast.Constant) and e.value in PROTOCOL_NAMES)
    return found


def test_nothing_outside_the_table_compares_a_protocol_by_name() -> None:
    compared = []
    for path in sources(WORKER):
        where = path.relative_to(WORKER).as_posix()
        if where.startswith(("adapters/", "config/")):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Compare) and _compared_names(node):
                operands = ast.unparse(node)
                if ".kind" in operands or "ingress" in operands or "client" in operands:
                    compared.append(f"{where}:{node.lineno}: {operands}")
    assert compared == []


@pytest.mark.parametrize("client", get_args(ClientName))
@pytest.mark.parametrize("kind", get_args(ProviderKind))
def test_every_client_protocol_is_served_by_every_upstream_kind(
    client: ClientName, kind: ProviderKind
) -> None:
    adapter = adapter_for(client, kind)
    assert (adapter.client.name, adapter.upstream.name) == (client, kind)
    assert adapter.client is CLIENT_PROTOCOLS[client]
    assert adapter.upstream is UPSTREAM_KINDS[kind]


@pytest.mark.parametrize("kind", get_args(ProviderKind))
def test_every_upstream_kind_has_one_passthrough_adapter(kind: ProviderKind) -> None:
    passthrough = [a for (_, upstream), a in ADAPTERS.items() if upstream == kind and a.passthrough]
    assert passthrough == [passthrough_adapter(kind)]


def test_the_table_has_one_row_per_pair() -> None:
    assert len(ADAPTERS) == len(CLIENT_PROTOCOLS) * len(UPSTREAM_KINDS)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        pytest.param("/v1/messages", "anthropic", id="messages"),
        pytest.param("/v1/v1/chat/completions", "openai", id="chat-doubled-prefix"),
        pytest.param("/v1/messages/count_tokens", None, id="count-tokens-is-no-model-call"),
        pytest.param("/v1/models", None, id="models"),
    ],
)
def test_model_calls_are_told_by_their_path(path: str, expected: str | None) -> None:
    protocol = model_call_protocol(path)
    assert (None if protocol is None else protocol.name) == expected


PUBLIC_API = {
    adapters: {
        "ADAPTERS",
        "ANTHROPIC",
        "CHOICE_ANSWERING_KINDS",
        "CLIENT_PROTOCOLS",
        "ClientName",
        "ClientProtocol",
        "Completion",
        "DEFAULT_CLIENT",
        "OPENAI",
        "RESPONSES",
        "ProtocolAdapter",
        "UPSTREAM_KINDS",
        "UpstreamKind",
        "adapter_for",
        "model_call_protocol",
        "passthrough_adapter",
    },
    engine: {
        "SYSTEM_CLOCK",
        "Answer",
        "AttemptRecorder",
        "Caller",
        "Clock",
        "EngineContext",
        "FactCache",
        "FactStore",
        "FailedAttempt",
        "HealthChange",
        "KeySlot",
        "RoutedRequest",
        "StreamSession",
        "accept_profile",
        "answer_whole",
        "guard_request",
        "message_count",
        "open_stream",
        "plan_chain",
        "provider_call",
        "refusal_message",
        "route_request",
        "select_request_profile",
    },
}


@pytest.mark.parametrize("package", list(PUBLIC_API), ids=lambda m: m.__name__.rsplit(".", 1)[1])
def test_public_api_is_pinned(package: types.ModuleType) -> None:
    assert set(package.__all__) == PUBLIC_API[package]
    for name in package.__all__:
        assert hasattr(package, name)
