"""Deserialize request envelopes faster than ask-sdk's default, with the same models."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope


class EnvelopeSerializer(DefaultSerializer):
    """ask-sdk's serializer, minus a JSON round trip and dateutil's general parser per request.

    ask-sdk decodes a JSON string and parses every timestamp with dateutil, which together were
    a third of a dispatch. Our edges have the envelope as a dict already, and Alexa's timestamps
    are ISO 8601, which the standard library reads in a fraction of the time.
    """

    def envelope(self, payload: dict[str, Any]) -> RequestEnvelope:
        """Build the request envelope model from an already decoded JSON object."""
        # ask-sdk's own recursive walk (name-mangled private), fed the dict it would have decoded.
        walk = getattr(self, "_DefaultSerializer__deserialize")  # noqa: B009 - a mangled name
        envelope: RequestEnvelope = walk(payload, RequestEnvelope)
        return envelope

    def _DefaultSerializer__deserialize_datetime(self, payload: str, obj_type: Any) -> Any:
        try:
            parsed = datetime.fromisoformat(payload)
        except (TypeError, ValueError):
            # Anything unusual goes the default way (dateutil), as before.
            default = getattr(super(), "_DefaultSerializer__deserialize_datetime")  # noqa: B009
            return default(payload, obj_type)
        return parsed.date() if obj_type is date else parsed
