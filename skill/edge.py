"""What every HTTP edge of the skill shares: the request limits and the JSON error shape."""

from __future__ import annotations

import json

# Alexa's request envelopes are a few KiB; 128 KiB leaves room for long session attributes
# while keeping what one connection can make the server buffer small.
MAX_BODY_BYTES = 128 * 1024
# Real envelopes nest about a dozen levels; 64 is generous yet far from Python's recursion
# limit, which the JSON parser and the ask-sdk deserializer would otherwise hit.
MAX_JSON_DEPTH = 64


def error_document(reason: str) -> dict[str, str]:
    """Return the one JSON error shape every refusal uses."""
    return {"status": "error", "error": reason}


def error_bytes(reason: str) -> bytes:
    """Return the JSON error shape encoded for a raw HTTP response."""
    return json.dumps(error_document(reason)).encode()
