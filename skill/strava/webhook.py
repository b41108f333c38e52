"""The webhook Strava calls: the subscription handshake (GET) and events (POST)."""

from __future__ import annotations

import hmac
import logging

from flask import Blueprint, Response, jsonify, request

from skill.edge import error_document
from skill.strava.config import StravaSettings
from skill.strava.errors import BadEventError
from skill.strava.events import MAX_EVENT_BYTES, parse_event
from skill.strava.store import ConnectionStore
from skill.strava.worker import EventWorker

log = logging.getLogger(__name__)

PATH = "/strava/webhook"
# Strava's challenge is a short random string; a long one is not Strava.
MAX_CHALLENGE_CHARS = 256


def strava_blueprint(
    settings: StravaSettings, connections: ConnectionStore, worker: EventWorker
) -> Blueprint:
    """Return the blueprint serving GET and POST /strava/webhook."""
    blueprint = Blueprint("strava", __name__)

    @blueprint.get(PATH)
    def handshake() -> tuple[Response, int]:
        mode = request.args.get("hub.mode")
        token = request.args.get("hub.verify_token")
        challenge = request.args.get("hub.challenge")
        missing = [
            name
            for name, value in (
                ("hub.mode", mode),
                ("hub.verify_token", token),
                ("hub.challenge", challenge),
            )
            if not value
        ]
        if missing or mode is None or token is None or challenge is None:
            return _error(f"missing {', '.join(missing)}", 400)
        if len(challenge) > MAX_CHALLENGE_CHARS:
            return _error("hub.challenge is too long", 400)
        if mode != "subscribe":
            return _error("hub.mode must be subscribe", 403)
        if not hmac.compare_digest(token.encode(), settings.verify_token.encode()):
            log.warning("Strava webhook handshake with a wrong verify token refused")
            return _error("wrong hub.verify_token", 403)
        log.info("Strava webhook subscription confirmed")
        return jsonify({"hub.challenge": challenge}), 200

    @blueprint.post(PATH)
    def event() -> tuple[Response, int]:
        # Read one byte past the limit: parse_event then refuses a body that is too long.
        body = request.stream.read(MAX_EVENT_BYTES + 1)
        try:
            received = parse_event(body)
        except BadEventError as exc:
            log.warning("rejected Strava event: %s", exc)
            return _error(str(exc), 400)
        wanted = settings.subscription_id
        if wanted is not None and received.subscription_id != wanted:
            log.warning("Strava event of subscription %d ignored", received.subscription_id)
            return _ignored("not this application's subscription")
        if connections.get(received.owner_id) is None:
            # 200 all the same: a refusal would only make Strava send it twice more.
            log.info(
                "Strava event for athlete %d, who is not connected, ignored", received.owner_id
            )
            return _ignored("athlete not connected")
        if not worker.submit(received):
            return _error("busy: try again", 503)
        return jsonify({"status": "accepted"}), 200

    return blueprint


def _ignored(reason: str) -> tuple[Response, int]:
    return jsonify({"status": "ignored", "reason": reason}), 200


def _error(reason: str, status: int) -> tuple[Response, int]:
    return jsonify(error_document(reason)), status
