"""One gateway per module in front of both fake upstreams (see ``support.stack``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.stack import Stack, running_stack


# Each protocol test runs against both ways of serving: one process (``--workers 1``, no arbiter)
# and gunicorn with two uvicorn workers. The wire must not tell them apart.
@pytest.fixture(scope="module", params=[1, 2], ids=["one-process", "gunicorn"])
def stack(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("gateway"), workers=request.param) as started:
        yield started


@pytest.fixture
def fresh(stack: Stack) -> Stack:
    """The module's stack with both fakes' scripts and recordings cleared."""
    stack.close_clients()
    stack.local.reset()
    stack.claude.reset()
    return stack
