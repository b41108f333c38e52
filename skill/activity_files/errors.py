"""Why an activity file could not be imported: each error names the file and the problem."""

from __future__ import annotations

from pathlib import Path

from skill.errors import SkillError


class ActivityFileError(SkillError):
    """An activity file cannot be imported; nothing from it was stored."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


class UnreadableFileError(ActivityFileError):
    """The file cannot be read, or is empty."""


class UnknownFormatError(ActivityFileError):
    """The file is not a GPX, TCX or FIT recording."""


class DamagedFileError(ActivityFileError):
    """The file is of a known format but broken: cut short, a bad checksum, malformed XML."""


class NoRecordingError(ActivityFileError):
    """The file holds no usable recording: no track points, or none with a time."""


class NotARunError(ActivityFileError):
    """The recording is of another sport (a ride, a swim)."""


class ImplausibleValueError(ActivityFileError):
    """The recording says something no run can be (a heart rate of 400, 80 km/h)."""
