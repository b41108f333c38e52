"""Exceptions raised by the home bridge; each carries the error code sent in replies."""


class BridgeError(Exception):
    """Base of every error the bridge raises."""

    code = "error"


class ConfigError(BridgeError):
    """The bridge configuration is invalid; the message names the key."""

    code = "config"


class RequestError(BridgeError):
    """A request is malformed or asks for something out of range."""

    code = "invalid_request"


class RefusedError(BridgeError):
    """A safety rule refused a request; the message says which rule, in speakable words."""

    code = "refused"

    def __init__(self, message: str, rule: str) -> None:
        super().__init__(message)
        self.rule = rule


class StoreError(BridgeError):
    """The timer database could not be read or written (locked, read-only, full, corrupt)."""

    code = "storage_failed"


class DeviceError(BridgeError):
    """A device is missing, offline, busy or did not confirm."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class NoAnswer(BridgeError):
    """The bridge did not answer in time; `undo` names the stop sent to make sure of it."""

    def __init__(self, message: str, undo: str | None = None) -> None:
        super().__init__(message)
        self.undo = undo
