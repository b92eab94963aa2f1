"""Which route serves a request (worker/ingress/route_table.py): the decision alone, on small tables and
on the gateway's own. What the answers look like on the wire is tested through HTTP
(tests/integration/protocol/test_errors_and_bad_input.py) and in test_dispatch.py."""

from __future__ import annotations

from functools import partial

import pytest
from starlette.requests import Request
from starlette.responses import Response

from coderouter_supervisor.worker.adapters import ANTHROPIC, OPENAI, RESPONSES
from coderouter_supervisor.worker.ingress.health import healthz, root
from coderouter_supervisor.worker.ingress.model_call import count_tokens, handle_model_call
from coderouter_supervisor.worker.ingress.models_route import list_models, retrieve_model
from coderouter_supervisor.worker.ingress.route_table import (
    NO_ROUTE,
    Decision,
    Endpoint,
    MethodNotAllowed,
    RedirectTo,
    Route,
    RouteTable,
    Serve,
)
from coderouter_supervisor.worker.ingress.routes import gateway_routes


async def page(request: Request) -> Response:
    return Response()


async def call(request: Request) -> Response:
    return Response()


async def item(request: Request) -> Response:
    return Response()


GET, POST = frozenset({"GET"}), frozenset({"POST"})
SMALL = RouteTable(
    [Route("/page", page, GET), Route("/v1/call", call, POST), Route("/items/{id:path}", item, GET)]
)


@pytest.mark.parametrize(
    ("method", "path", "root_path", "decision"),
    [
        pytest.param("GET", "/page", "", Serve(page), id="exact"),
        pytest.param("HEAD", "/page", "", Serve(page), id="a GET route serves HEAD"),
        pytest.param("POST", "/v1/call", "", Serve(call), id="post"),
        pytest.param("POST", "/page", "", MethodNotAllowed("GET, HEAD"), id="405 lists GET and HEAD"),
        pytest.param("HEAD", "/v1/call", "", MethodNotAllowed("POST"), id="HEAD is not POST"),
        pytest.param("GET", "/items/a/b", "", Serve(item, {"id": "a/b"}), id="path parameter keeps slashes"),
        pytest.param("GET", "/items/", "", Serve(item, {"id": ""}), id="path parameter may be empty"),
        pytest.param("DELETE", "/items/x", "", MethodNotAllowed("GET, HEAD"), id="405 under a prefix"),
        pytest.param("POST", "/v1/call/", "", RedirectTo("/v1/call"), id="trailing slash redirected"),
        pytest.param("GET", "/page//", "", RedirectTo("/page"), id="every trailing slash stripped"),
        pytest.param("PUT", "/page/", "", RedirectTo("/page"), id="redirected whatever the method"),
        pytest.param("GET", "/items", "", RedirectTo("/items/"), id="a slash added where it matches"),
        pytest.param("GET", "/", "", NO_ROUTE, id="root never redirected"),
        pytest.param("GET", "/nope", "", NO_ROUTE, id="unknown"),
        pytest.param("GET", "/PAGE", "", NO_ROUTE, id="paths are case sensitive"),
        pytest.param("GET", "/page\n", "", NO_ROUTE, id="a trailing newline is another path"),
        pytest.param("GET", "//page", "", NO_ROUTE, id="a doubled slash is another path"),
        pytest.param("GET", "/gw/page", "/gw", Serve(page), id="root path stripped"),
        pytest.param("GET", "/gw/items/x", "/gw", Serve(item, {"id": "x"}), id="root path and parameter"),
        pytest.param("GET", "/page", "/gw", Serve(page), id="a path outside the root path is read whole"),
        pytest.param("GET", "/gw/page/", "/gw", RedirectTo("/gw/page"), id="redirect keeps the root path"),
        pytest.param("GET", "/gwpage", "/gw", NO_ROUTE, id="root path only as a whole segment"),
    ],
)
def test_decision(method: str, path: str, root_path: str, decision: Decision) -> None:
    assert SMALL.decide(method, path, root_path) == decision


def test_an_exact_hit_reuses_its_decision() -> None:
    """Nothing is built per request for an exact path."""
    assert SMALL.decide("GET", "/page") is SMALL.decide("GET", "/page")
    assert SMALL.decide("PUT", "/page") is SMALL.decide("POST", "/page")


@pytest.mark.parametrize(
    ("routes", "complaint"),
    [
        pytest.param([Route("/a", page, GET), Route("/a", call, POST)], "two routes", id="one path twice"),
        pytest.param([Route("/a/{x}", page, GET)], "only a trailing", id="a plain parameter"),
        pytest.param([Route("/{x:path}/a", page, GET)], "only a trailing", id="a parameter not last"),
        pytest.param(
            [Route("/a/{x:path}", page, GET), Route("/a/b", call, GET)], "starts with", id="overlap"
        ),
        pytest.param(
            [Route("/a/{x:path}", page, GET), Route("/a/b/{y:path}", call, GET)], "starts with", id="nested"
        ),
    ],
)
def test_an_ambiguous_table_is_refused(routes: list[Route], complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        RouteTable(routes)


GATEWAY = RouteTable(gateway_routes())


def _endpoint(method: str, path: str) -> tuple[Endpoint, dict[str, str]]:
    decision = GATEWAY.decide(method, path)
    assert isinstance(decision, Serve), decision
    return decision.endpoint, dict(decision.path_params)


@pytest.mark.parametrize("prefix", ["/v1", "/v1/v1"])
@pytest.mark.parametrize(
    ("path", "client"),
    [("/messages", ANTHROPIC), ("/chat/completions", OPENAI), ("/responses", RESPONSES)],
)
def test_the_gateway_serves_each_model_call_under_both_prefixes(
    prefix: str, path: str, client: object
) -> None:
    endpoint, params = _endpoint("POST", prefix + path)
    assert isinstance(endpoint, partial)
    assert (endpoint.func, endpoint.keywords, params) == (handle_model_call, {"client": client}, {})
    assert GATEWAY.decide("GET", prefix + path) == MethodNotAllowed("POST")
    assert GATEWAY.decide("POST", prefix + path + "/") == RedirectTo(prefix + path)


@pytest.mark.parametrize(
    ("method", "path", "endpoint", "params"),
    [
        ("GET", "/", root, {}),
        ("HEAD", "/", root, {}),
        ("GET", "/healthz", healthz, {}),
        ("POST", "/v1/messages/count_tokens", count_tokens, {}),
        ("GET", "/v1/models", list_models, {}),
        ("GET", "/v1/v1/models", list_models, {}),
        ("GET", "/v1/models/claude-3/x", retrieve_model, {"model_id": "claude-3/x"}),
        ("GET", "/v1/v1/models/m", retrieve_model, {"model_id": "m"}),
    ],
)
def test_the_gateway_table(method: str, path: str, endpoint: Endpoint, params: dict[str, str]) -> None:
    assert _endpoint(method, path) == (endpoint, params)


@pytest.mark.parametrize(
    "path", ["/v1/embeddings", "/v1", "/v1/", "/v1/v1/v1/messages", "/v1/messages/batches"]
)
def test_the_gateway_has_no_route_for(path: str) -> None:
    assert GATEWAY.decide("POST", path) is NO_ROUTE
