"""Exceptions raised by the skill service; the web edge turns them into HTTP 400s."""


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
