"""A histogram's buckets, added up when the book is read, are what counting each sample in every
bucket at or above it gives, however the reads fall between the samples."""

from __future__ import annotations

import random

import pytest

from coderouter_supervisor.state import SeriesKey
from coderouter_supervisor.worker.telemetry.metric_book import LATENCY_BUCKETS, MetricBook, labels_of

BOUNDS = (*LATENCY_BUCKETS, float("inf"))
LE = tuple("+Inf" if bound == float("inf") else f"{bound:g}" for bound in BOUNDS)


def counted_per_sample(samples: list[float]) -> dict[SeriesKey, float]:
    """The buckets as counted one sample at a time: each sample in every bucket at or above it."""
    buckets: dict[SeriesKey, float] = {}
    for seconds in samples:
        for bound, le in zip(BOUNDS, LE, strict=True):
            if seconds <= bound:
                key = ("coderouter_upstream_latency_seconds_bucket", labels_of(provider="a", le=le))
                buckets[key] = buckets.get(key, 0.0) + 1
    return buckets


def buckets_of(book: MetricBook) -> dict[SeriesKey, float]:
    return {key: value for key, value in book.series.items() if key[0].endswith("_bucket")}


@pytest.mark.parametrize("seed", range(5))
def test_buckets_read_between_samples_match_counting_each_sample(seed: int) -> None:
    rng = random.Random(seed)
    samples = [rng.choice((0.0, 0.001, 0.0011, 0.25, 300.0, 301.0, rng.uniform(0, 400))) for _ in range(300)]
    book = MetricBook()
    for index, seconds in enumerate(samples):
        book.observe("upstream_latency_seconds", seconds, provider="a")
        if rng.random() < 0.1:  # a flush reads the book now and then
            assert buckets_of(book) == counted_per_sample(samples[: index + 1])
    assert buckets_of(book) == counted_per_sample(samples)
    assert book.series[("coderouter_upstream_latency_seconds_count", labels_of(provider="a"))] == len(samples)


def test_a_histogram_asked_with_labels_in_another_order_adds_to_the_same_buckets() -> None:
    book = MetricBook()
    book.observe("request_duration_seconds", 0.01, ingress="x", profile="p")
    book.observe("request_duration_seconds", 0.01, profile="p", ingress="x")
    key = ("coderouter_request_duration_seconds_bucket", labels_of(ingress="x", profile="p", le="0.01"))
    assert book.series[key] == 2
    book.observe("request_duration_seconds", 0.01, profile="p", ingress="x")
    assert book.series[key] == 3
