"""Anchor: a bare Flask route returning fixed bytes, served by waitress like ours."""

from __future__ import annotations

from flask import Flask, Response


def bare_app(answer: bytes) -> Flask:
    """Build an app whose POST /alexa returns `answer` as JSON and does nothing else."""
    app = Flask(__name__)

    @app.post("/alexa")
    def alexa() -> Response:
        return Response(answer, mimetype="application/json")

    return app
