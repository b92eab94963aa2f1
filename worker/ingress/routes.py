"""The gateway's route table (each API path also under ``/v1/v1``, a common base-URL slip)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from coderouter_supervisor.worker.adapters import CLIENT_PROTOCOLS, ClientProtocol
from coderouter_supervisor.worker.ingress.dashboard import dashboard, dashboard_as_json
from coderouter_supervisor.worker.ingress.health import healthz, root
from coderouter_supervisor.worker.ingress.metrics_routes import metrics, metrics_as_json
from coderouter_supervisor.worker.ingress.model_call import count_tokens, handle_model_call
from coderouter_supervisor.worker.ingress.models_route import list_models, retrieve_model


def _model_call_endpoint(client: ClientProtocol) -> Callable[[Request], Awaitable[Response]]:
    async def model_call(request: Request) -> Response:
        return await handle_model_call(request, client)

    return model_call


def gateway_routes() -> list[BaseRoute]:
    api = [
        *((client.call_path, _model_call_endpoint(client), "POST") for client in CLIENT_PROTOCOLS.values()),
        ("/messages/count_tokens", count_tokens, "POST"),
        ("/models", list_models, "GET"),
        ("/models/{model_id:path}", retrieve_model, "GET"),
    ]
    routes: list[BaseRoute] = [
        Route("/", root, methods=["GET", "HEAD"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
        Route("/metrics.json", metrics_as_json, methods=["GET"]),
        Route("/dashboard", dashboard, methods=["GET"]),
        Route("/dashboard.json", dashboard_as_json, methods=["GET"]),
    ]
    for prefix in ("/v1", "/v1/v1"):
        routes += [Route(prefix + path, endpoint, methods=[method]) for path, endpoint, method in api]
    return routes
