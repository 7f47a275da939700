"""Compact UTF-8 JSON, as ``json.dumps(..., ensure_ascii=False, separators=(",", ":"))``
writes it, from ``orjson``: an invoke's answer carries its whole card, and the standard
library took about as long to encode a preview card as building it did."""

from __future__ import annotations

import json
from typing import Any

import orjson


def json_bytes(value: Any) -> bytes:
    """``value`` as compact UTF-8 JSON. What ``orjson`` declines (a dict key that is not a
    string, an integer beyond 64 bits) is written by the standard library instead, so every
    value the standard library encodes is encoded."""
    try:
        return orjson.dumps(value)
    except TypeError:  # orjson.JSONEncodeError
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
