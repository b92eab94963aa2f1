from __future__ import annotations

from coderouter_supervisor.worker.ingress.header_limits import (
    MAX_HEADER_BLOCK_BYTES,
    MAX_HEADER_BYTES,
    MAX_HEADER_COUNT,
    header_problem,
)


def _headers(count: int, value_size: int = 1) -> list[tuple[bytes, bytes]]:
    return [(f"x-h{i}".encode(), b"v" * value_size) for i in range(count)]


def test_headers_within_every_limit_pass() -> None:
    assert header_problem(_headers(MAX_HEADER_COUNT)) is None
    assert header_problem([(b"authorization", b"a" * (MAX_HEADER_BYTES - len(b"authorization") - 4))]) is None


def test_one_header_too_many_is_refused() -> None:
    assert header_problem(_headers(MAX_HEADER_COUNT + 1)) == f"more than {MAX_HEADER_COUNT} request headers"


def test_one_header_too_long_is_named() -> None:
    problem = header_problem([(b"host", b"x"), (b"cookie", b"c" * MAX_HEADER_BYTES)])
    assert problem is not None and "'cookie'" in problem and str(MAX_HEADER_BYTES) in problem


def test_many_long_headers_are_refused_in_all() -> None:
    count = MAX_HEADER_BLOCK_BYTES // 4000 + 1
    problem = header_problem(_headers(count, 4000))
    assert problem is not None and "in all" in problem
