"""The Flask app that serves the skill as an HTTPS web service (behind a TLS proxy)."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, jsonify, request

from skill.edge import MAX_BODY_BYTES, error_document
from skill.errors import BadRequestError, BodyTooLargeError
from skill.home import HomeAccess
from skill.persistence import SQLitePersistenceAdapter
from skill.service import SkillService, build_skill, parse_body
from skill.settings import Settings

if TYPE_CHECKING:
    from skill.strava.worker import EventWorker
    from skill.verification import RequestVerifier

log = logging.getLogger(__name__)


def create_app(
    settings: Settings,
    *,
    verifier: RequestVerifier | None = None,
    service: SkillService | None = None,
    home: HomeAccess | None = None,
    strava_worker: EventWorker | None = None,
) -> Flask:
    """Build the web app; verifier and service can be injected by code (tests, embedders)."""
    if settings.verify_requests:
        settings.require_secure()
        # Imported here: cryptography is a fifth of a cold start, and only verification uses it.
        from skill.verification import CertificateStore, RequestVerifier

        verifier = verifier or RequestVerifier(
            CertificateStore(timeout=settings.certificate_timeout_s)
        )
    else:
        log.warning(
            "REQUEST VERIFICATION IS OFF: anyone who can reach this server can act as Alexa. "
            "Use --no-verify only for local tools such as a simulator."
        )
        verifier = None
    if service is None:
        access = home or HomeAccess.from_settings(settings)
        persistence = SQLitePersistenceAdapter(settings.database)
        service = SkillService(
            build_skill(persistence, access, settings.timezone), settings.skill_ids
        )
    app = Flask(__name__)
    # Werkzeug refuses a too-long Content-Length before reading anything. A body without one
    # (chunked) it cuts off silently at this size, so allow one byte more than the limit:
    # parse_body then sees that byte and refuses the body instead of parsing a truncated one.
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES + 1

    @app.post("/alexa")
    def alexa() -> tuple[Response, int] | Response:
        body = request.get_data(cache=False)
        try:
            payload = parse_body(body)
            if verifier is not None:
                verifier.verify(dict(request.headers.items()), body, payload)
            # Compact JSON straight to bytes: Flask's jsonify walks its provider for each answer.
            answer = json.dumps(service.dispatch(payload), separators=(",", ":"))
            return Response(answer, mimetype="application/json")
        except BodyTooLargeError as exc:
            return _error(str(exc), 413)
        except BadRequestError as exc:
            log.warning("rejected request: %s", exc)
            return _error(str(exc), 400)

    if settings.strava is not None:
        _add_strava(app, settings, strava_worker)

    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify({"status": "ok"})

    @app.errorhandler(413)
    def too_large(_: Any) -> tuple[Response, int]:
        return _error("request body is too large", 413)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> tuple[Response, int]:
        code = getattr(exc, "code", None)
        if isinstance(code, int) and 400 <= code < 500:
            return _error(str(getattr(exc, "description", exc)), code)
        log.exception("unexpected error")
        return _error("internal error", 500)

    return app


STRAVA_WORKER = "strava_worker"


def _add_strava(app: Flask, settings: Settings, worker: EventWorker | None) -> None:
    # Imported only when configured: stravalib (and pydantic) are no part of a plain skill.
    from skill.strava.service import build_worker
    from skill.strava.store import ConnectionStore
    from skill.strava.webhook import strava_blueprint

    assert settings.strava is not None
    worker = worker or build_worker(settings, settings.strava)
    app.register_blueprint(
        strava_blueprint(settings.strava, ConnectionStore(settings.database), worker)
    )
    app.extensions[STRAVA_WORKER] = worker.start()


def stop_background(app: Flask) -> None:
    """Stop what create_app started besides answering requests (the Strava worker)."""
    worker = app.extensions.pop(STRAVA_WORKER, None)
    if worker is not None:
        worker.stop()


def _error(reason: str, status: int) -> tuple[Response, int]:
    return jsonify(error_document(reason)), status
