"""``GET /v1/models`` and ``GET /v1/models/{id}``: the profiles and providers a client may name,
in the caller's shape.

Answered from the config alone (no upstream call). Anthropic clients (they send
``anthropic-version``) get Anthropic's shapes; everyone else gets OpenAI's. One model is the same
object as its entry in the list.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from coderouter_supervisor.worker.config import CodeRouterConfig
from coderouter_supervisor.worker.errors import NotFound
from coderouter_supervisor.worker.ingress.caller import authorize
from coderouter_supervisor.worker.ingress.gateway import gateway_of
from coderouter_supervisor.worker.ingress.protocols import ingress_of


def _model_ids(config: CodeRouterConfig) -> list[str]:
    ids = [profile.name for profile in config.profiles]
    return ids + [provider.name for provider in config.providers if provider.name not in ids]


async def list_models(request: Request) -> JSONResponse:
    await authorize(request)
    ids = _model_ids(gateway_of(request).config.config)
    return JSONResponse(ingress_of(request).model_list(ids))


async def retrieve_model(request: Request) -> JSONResponse:
    """Raises :class:`NotFound` (a 404 in the caller's envelope) for a name the list does not hold."""
    await authorize(request)
    model_id = request.path_params["model_id"]
    ids = _model_ids(gateway_of(request).config.config)
    if model_id not in ids:
        raise NotFound(f"model {model_id!r} not found; models: {', '.join(ids)}")
    return JSONResponse(ingress_of(request).model_object(model_id))
