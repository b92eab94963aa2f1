"""How a metric series is named in the store: a name and its labels, stored as JSON text of sorted
``[name, value]`` pairs."""

from __future__ import annotations

import json

Labels = tuple[tuple[str, str], ...]
SeriesKey = tuple[str, Labels]


def encode_labels(labels: Labels) -> str:
    return json.dumps([list(pair) for pair in labels], separators=(",", ":"))


def decode_labels(text: str) -> Labels:
    return tuple((str(k), str(v)) for k, v in json.loads(text))
