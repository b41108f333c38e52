"""Exceptions raised by the domain core."""


class RoutinesError(Exception):
    """Base of every error the domain core raises."""


class InvalidContextError(RoutinesError, ValueError):
    """A run context value is out of range or inconsistent."""


class KnowledgeError(RoutinesError):
    """The guidance data is malformed."""
