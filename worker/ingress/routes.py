"""The gateway's route table (each API path also under ``/v1/v1``, a common base-URL slip)."""

from __future__ import annotations

from functools import partial

from coderouter_supervisor.worker.adapters import CLIENT_PROTOCOLS
from coderouter_supervisor.worker.ingress.dashboard import dashboard, dashboard_as_json
from coderouter_supervisor.worker.ingress.health import healthz, root
from coderouter_supervisor.worker.ingress.metrics_routes import metrics, metrics_as_json
from coderouter_supervisor.worker.ingress.model_call import count_tokens, handle_model_call
from coderouter_supervisor.worker.ingress.models_route import list_models, retrieve_model
from coderouter_supervisor.worker.ingress.route_table import Endpoint, Route

GET, POST = frozenset({"GET"}), frozenset({"POST"})


def gateway_routes() -> list[Route]:
    """Every route; a GET route also serves HEAD."""
    calls = [
        (client.call_path, partial(handle_model_call, client=client)) for client in CLIENT_PROTOCOLS.values()
    ]
    api: list[tuple[str, Endpoint, frozenset[str]]] = [
        *((path, endpoint, POST) for path, endpoint in calls),
        ("/messages/count_tokens", count_tokens, POST),
        ("/models", list_models, GET),
        ("/models/{model_id:path}", retrieve_model, GET),
    ]
    routes = [
        Route("/", root, GET),
        Route("/healthz", healthz, GET),
        Route("/metrics", metrics, GET),
        Route("/metrics.json", metrics_as_json, GET),
        Route("/dashboard", dashboard, GET),
        Route("/dashboard.json", dashboard_as_json, GET),
    ]
    for prefix in ("/v1", "/v1/v1"):
        routes += [Route(prefix + path, endpoint, methods) for path, endpoint, methods in api]
    return routes
