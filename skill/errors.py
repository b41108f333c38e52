"""Exceptions raised by the skill; the web edge turns bad requests into HTTP 400s."""

from __future__ import annotations

from ask_sdk_core.exceptions import PersistenceException


class SkillError(Exception):
    """Base of every error the skill package raises."""


class SettingsError(SkillError):
    """The configuration file or environment is invalid."""


class BadRequestError(SkillError):
    """The request is not a well-formed Alexa request this skill can take."""


class VerificationError(BadRequestError):
    """The request failed Amazon's web-service verification rules."""


class BodyTooLargeError(BadRequestError):
    """The request body is larger than any Alexa request; the web edge answers 413."""


class StorageError(SkillError, PersistenceException):
    """A user's stored attributes could not be read or written."""


class SaveError(StorageError):
    """A user's attributes could not be stored: nothing this request changed was kept."""


class ConflictError(SaveError):
    """Another request stored the user's attributes after this one read them."""
