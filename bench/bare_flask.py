"""Anchor: a bare Flask route returning fixed bytes, served by waitress like ours."""

from __future__ import annotations

import json

from flask import Flask, Response, request


def bare_app(answer: bytes) -> Flask:
    """Build an app whose POST /alexa returns `answer` as JSON and does nothing else."""
    app = Flask(__name__)

    @app.post("/alexa")
    def alexa() -> Response:
        return Response(answer, mimetype="application/json")

    return app


def hello_app() -> Flask:
    """Build the ceiling: ask-sdk's bare hello skill behind the same route, nothing else."""
    from hello_skill import build_hello, dispatch

    skill = build_hello()
    app = Flask(__name__)

    @app.post("/alexa")
    def alexa() -> Response:
        answer = dispatch(skill, json.loads(request.get_data(cache=False)))
        return Response(json.dumps(answer, separators=(",", ":")), mimetype="application/json")

    return app
