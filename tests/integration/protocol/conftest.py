"""One gateway per module in front of both fake upstreams (see ``support.stack``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.stack import Stack, running_stack


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("gateway")) as started:
        yield started


@pytest.fixture
def fresh(stack: Stack) -> Stack:
    """The module's stack with both fakes' scripts and recordings cleared."""
    stack.close_clients()
    stack.local.reset()
    stack.claude.reset()
    return stack
