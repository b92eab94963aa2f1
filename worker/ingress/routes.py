"""The gateway's route table (each API path also under ``/v1/v1``, a common base-URL slip)."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from coderouter_supervisor.worker.ingress.anthropic_routes import count_tokens, create_message
from coderouter_supervisor.worker.ingress.dashboard import dashboard, dashboard_as_json
from coderouter_supervisor.worker.ingress.health import healthz, root
from coderouter_supervisor.worker.ingress.metrics_routes import metrics, metrics_as_json
from coderouter_supervisor.worker.ingress.models_route import list_models, retrieve_model
from coderouter_supervisor.worker.ingress.openai_routes import create_chat_completion


def gateway_routes() -> list[BaseRoute]:
    api = [
        ("/messages", create_message, "POST"),
        ("/messages/count_tokens", count_tokens, "POST"),
        ("/chat/completions", create_chat_completion, "POST"),
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
