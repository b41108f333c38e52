"""Build Alexa request envelopes for typed phrases, keeping the session as Alexa does."""

from __future__ import annotations

import html
import json
import re
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from skill.errors import SkillError
from skill.nlu import Expecting, Recognizer, Resolution

LOCAL_SKILL_ID = "amzn1.ask.skill.recovery-coach-local"
Transport = Callable[[dict[str, Any]], dict[str, Any]]


class TransportError(SkillError):
    """The skill could not be reached or answered with an error."""


def http_transport(url: str, timeout: float = 10.0) -> Transport:
    """Send envelopes to a running skill server over HTTP."""

    def send(envelope: dict[str, Any]) -> dict[str, Any]:
        request = urllib.request.Request(
            url,
            data=json.dumps(envelope).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as reply:
                answer: dict[str, Any] = json.loads(reply.read())
                return answer
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")
            raise TransportError(f"skill answered {exc.code}: {detail}") from exc
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise TransportError(f"cannot reach the skill at {url}: {exc}") from exc

    return send


def _local_question(question: str) -> dict[str, Any]:
    speech = f"<speak>{html.escape(question)}</speak>"
    return {
        "version": "1.0",
        "response": {
            "outputSpeech": {"type": "SSML", "ssml": speech},
            "reprompt": {"outputSpeech": {"type": "SSML", "ssml": speech}},
            "shouldEndSession": False,
        },
    }


def plain_text(ssml: str) -> str:
    """Turn SSML into the words a listener hears."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", ssml)).split())


@dataclass
class Conversation:
    """One user's session with the skill, as Alexa keeps it between turns."""

    model: Recognizer
    send: Transport
    locale: str = "en-US"
    user_id: str = "amzn1.ask.account.local-user"
    skill_id: str = LOCAL_SKILL_ID
    session_id: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    # When each request says it was made (the skill's "now"): tests move it to the next day.
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    # The slot the skill asked for with Dialog.ElicitSlot, and the intent it belongs to.
    expecting: Expecting | None = None
    _pending: dict[str, Any] = field(default_factory=dict)

    def say(self, phrase: str) -> dict[str, Any]:
        """Resolve a phrase, send it as Alexa would, and return the response envelope."""
        resolution = self.model.resolve(phrase, self.expecting if self.session_id else None)
        if resolution.launch:
            return self._exchange(self._launch())
        if resolution.question is not None:
            # A detail we cannot place: ask, as Alexa's own dialog would, rather than guess.
            return _local_question(resolution.question)
        return self._exchange(self._intent(resolution))

    def end(self, reason: str = "USER_INITIATED") -> None:
        """Tell the skill the session ended, if one is open."""
        if self.session_id is not None:
            self.send(self._envelope({"type": "SessionEndedRequest", "reason": reason}))
            self._close()

    def _exchange(self, envelope: dict[str, Any]) -> dict[str, Any]:
        response = self.send(envelope)
        self.attributes = dict(response.get("sessionAttributes") or {})
        self.expecting, self._pending = None, {}
        for directive in response.get("response", {}).get("directives") or []:
            if directive.get("type") == "Dialog.ElicitSlot":
                updated = directive.get("updatedIntent") or {}
                self.expecting = Expecting(updated.get("name", ""), directive["slotToElicit"])
                self._pending = dict(updated.get("slots") or {})
        if response.get("response", {}).get("shouldEndSession") is not False:
            self._close()
        return response

    def _close(self) -> None:
        self.session_id = None
        self.attributes = {}
        self.expecting, self._pending = None, {}

    def _launch(self) -> dict[str, Any]:
        return self._envelope({"type": "LaunchRequest"})

    def _intent(self, resolution: Resolution) -> dict[str, Any]:
        slots = {
            name: {"name": name, "confirmationStatus": "NONE"} for name in resolution.slot_types
        }
        for name, slot in resolution.slots.items():
            entry: dict[str, Any] = {
                "name": name,
                "value": slot.value,
                "confirmationStatus": "NONE",
            }
            if not slot.type.startswith("AMAZON."):
                authority = f"amzn1.er-authority.echo-sdk.{self.skill_id}.{slot.type}"
                status = "ER_SUCCESS_MATCH" if slot.resolved else "ER_SUCCESS_NO_MATCH"
                resolved: dict[str, Any] = {"authority": authority, "status": {"code": status}}
                if slot.resolved:
                    resolved["values"] = [
                        {"value": {"name": slot.resolved.name, "id": slot.resolved.id}}
                    ]
                entry["resolutions"] = {"resolutionsPerAuthority": [resolved]}
            slots[name] = entry
        state = "COMPLETED"
        if resolution.answered is not None:
            # The answer to an ElicitSlot: Alexa sends the same intent, earlier slots kept.
            kept = {k: v for k, v in self._pending.items() if v.get("value") not in (None, "")}
            slots = {**slots, **{k: v for k, v in kept.items() if k not in resolution.slots}}
            state = "IN_PROGRESS"
        return self._envelope(
            {
                "type": "IntentRequest",
                "dialogState": state,
                "intent": {"name": resolution.intent, "confirmationStatus": "NONE", "slots": slots},
            }
        )

    def _envelope(self, request: dict[str, Any]) -> dict[str, Any]:
        new = self.session_id is None
        if new:
            self.session_id = f"amzn1.echo-api.session.{uuid.uuid4()}"
        application = {"applicationId": self.skill_id}
        user = {"userId": self.user_id}
        request.update(
            requestId=f"amzn1.echo-api.request.{uuid.uuid4()}",
            timestamp=self.clock().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            locale=self.locale,
        )
        return {
            "version": "1.0",
            "session": {
                "new": new,
                "sessionId": self.session_id,
                "application": application,
                "attributes": self.attributes,
                "user": user,
            },
            "context": {
                "System": {
                    "application": application,
                    "user": user,
                    "device": {"deviceId": "local-device", "supportedInterfaces": {}},
                    "apiEndpoint": "https://api.amazonalexa.com",
                }
            },
            "request": request,
        }
