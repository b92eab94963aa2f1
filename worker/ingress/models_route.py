"""``GET /v1/models``: the profiles and providers a client may name, in the caller's shape.

Answered from the config alone (no upstream call). Anthropic clients (they send
``anthropic-version``) get Anthropic's list shape; everyone else gets OpenAI's.
"""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import JSONResponse

from coderouter_supervisor.worker.gateway import gateway_of
from coderouter_supervisor.worker.ingress.dispatch import authorize

# A fixed timestamp: profiles have no creation date, and a stable answer caches well.
_CREATED = 1_735_689_600  # 2025-01-01T00:00:00Z


async def list_models(request: Request) -> JSONResponse:
    await authorize(request)
    config = gateway_of(request).config.config
    ids = [profile.name for profile in config.profiles]
    ids += [provider.name for provider in config.providers if provider.name not in ids]
    if "anthropic-version" in request.headers:
        created_at = datetime.fromtimestamp(_CREATED, UTC).isoformat().replace("+00:00", "Z")
        data = [
            {"type": "model", "id": model_id, "display_name": model_id, "created_at": created_at}
            for model_id in ids
        ]
        return JSONResponse(
            {
                "data": data,
                "has_more": False,
                "first_id": ids[0] if ids else None,
                "last_id": ids[-1] if ids else None,
            }
        )
    return JSONResponse(
        {
            "object": "list",
            "data": [
                {"id": model_id, "object": "model", "created": _CREATED, "owned_by": "coderouter"}
                for model_id in ids
            ],
        }
    )
