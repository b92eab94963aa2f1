"""``GET /v1/models`` and ``GET /v1/models/{id}``: the profiles and providers a client may name,
in the caller's shape.

Answered from the config alone (no upstream call). Anthropic clients (they send
``anthropic-version``) get Anthropic's shapes; everyone else gets OpenAI's. One model is the same
object as its entry in the list.
"""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import JSONResponse

from coderouter_supervisor.worker.config import CodeRouterConfig
from coderouter_supervisor.worker.errors import NotFound
from coderouter_supervisor.worker.gateway import gateway_of
from coderouter_supervisor.worker.ingress.dispatch import authorize
from coderouter_supervisor.worker.ingress.protocols import Ingress, ingress_of

# A fixed timestamp: profiles have no creation date, and a stable answer caches well.
_CREATED = 1_735_689_600  # 2025-01-01T00:00:00Z


def _model_ids(config: CodeRouterConfig) -> list[str]:
    ids = [profile.name for profile in config.profiles]
    return ids + [provider.name for provider in config.providers if provider.name not in ids]


def _model_object(model_id: str, ingress: Ingress) -> dict[str, object]:
    if ingress == "anthropic":
        created_at = datetime.fromtimestamp(_CREATED, UTC).isoformat().replace("+00:00", "Z")
        return {"type": "model", "id": model_id, "display_name": model_id, "created_at": created_at}
    return {"id": model_id, "object": "model", "created": _CREATED, "owned_by": "coderouter"}


async def list_models(request: Request) -> JSONResponse:
    await authorize(request)
    ids = _model_ids(gateway_of(request).config.config)
    ingress = ingress_of(request)
    data = [_model_object(model_id, ingress) for model_id in ids]
    if ingress == "anthropic":
        return JSONResponse(
            {
                "data": data,
                "has_more": False,
                "first_id": ids[0] if ids else None,
                "last_id": ids[-1] if ids else None,
            }
        )
    return JSONResponse({"object": "list", "data": data})


async def retrieve_model(request: Request) -> JSONResponse:
    """Raises :class:`NotFound` (a 404 in the caller's envelope) for a name the list does not hold."""
    await authorize(request)
    model_id = request.path_params["model_id"]
    ids = _model_ids(gateway_of(request).config.config)
    if model_id not in ids:
        raise NotFound(f"model {model_id!r} not found; models: {', '.join(ids)}")
    return JSONResponse(_model_object(model_id, ingress_of(request)))
