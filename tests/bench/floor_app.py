"""The benchmark's floor: the thinnest Starlette + httpx passthrough of the gateway's requests.

One route per upstream kind (``/anthropic``, ``/openai``, ``/responses``) forwards the client's body
unchanged, with one shared ``httpx.AsyncClient`` (same limits as the gateway's), to the canned
upstream on ``BENCH_UPSTREAM_PORT`` and returns its answer; a body asking for ``"stream": true``
gets the upstream's byte stream passed through. A translated path (one client protocol, the other
upstream kind) is forwarded without translating: the floor is what any gateway must pay, so what the
gateway adds is the ratio. Served by the same server as the gateway
(``uvicorn floor_app:app`` or gunicorn with ``uvicorn_worker.UvicornWorker``).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

UPSTREAM = f"http://127.0.0.1:{os.environ.get('BENCH_UPSTREAM_PORT', '0')}"
LIMITS = httpx.Limits(max_connections=200, max_keepalive_connections=40, keepalive_expiry=30.0)
TIMEOUT = httpx.Timeout(30.0, connect=10.0)


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
    async with httpx.AsyncClient(base_url=UPSTREAM, limits=LIMITS, timeout=TIMEOUT) as client:
        yield {"client": client}


async def _forward(request: Request, path: str) -> Response:
    client: httpx.AsyncClient = request.state.client
    body = await request.body()
    headers = {"content-type": "application/json"}
    if b'"stream": true' not in body and b'"stream":true' not in body:
        answer = await client.post(path, content=body, headers=headers)
        return Response(answer.content, answer.status_code, media_type=answer.headers.get("content-type"))
    streamed = await client.send(
        client.build_request("POST", path, content=body, headers=headers), stream=True
    )
    return StreamingResponse(
        streamed.aiter_raw(),
        streamed.status_code,
        media_type=streamed.headers.get("content-type"),
        background=BackgroundTask(streamed.aclose),
    )


async def anthropic(request: Request) -> Response:
    return await _forward(request, "/v1/messages")


async def openai(request: Request) -> Response:
    return await _forward(request, "/v1/chat/completions")


async def responses(request: Request) -> Response:
    return await _forward(request, "/v1/responses")


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok", "pid": os.getpid()})


app = Starlette(
    routes=[
        Route("/anthropic", anthropic, methods=["POST"]),
        Route("/openai", openai, methods=["POST"]),
        Route("/responses", responses, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
    ],
    lifespan=lifespan,
)
