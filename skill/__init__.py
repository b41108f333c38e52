"""Recovery Coach's Alexa custom-skill backend: Flask web service and AWS Lambda handler."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from skill.lambda_function import lambda_handler
    from skill.settings import Settings, load_settings
    from skill.web import create_app

# Imported when first used: a Lambda cold start must not pay for Flask, nor a server for Lambda.
_HOMES = {
    "Settings": "skill.settings",
    "create_app": "skill.web",
    "lambda_handler": "skill.lambda_function",
    "load_settings": "skill.settings",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'skill' has no attribute {name!r}")
    return getattr(importlib.import_module(_HOMES[name]), name)


__all__ = ["Settings", "create_app", "lambda_handler", "load_settings"]
