"""Activity files (GPX, TCX, FIT) read into recorded runs, with errors naming file and problem."""

from skill.activity_files.errors import (
    ActivityFileError,
    DamagedFileError,
    ImplausibleValueError,
    NoRecordingError,
    NotARunError,
    UnknownFormatError,
    UnreadableFileError,
)
from skill.activity_files.reader import is_activity_file, read_activity

__all__ = [
    "ActivityFileError",
    "DamagedFileError",
    "ImplausibleValueError",
    "NoRecordingError",
    "NotARunError",
    "UnknownFormatError",
    "UnreadableFileError",
    "is_activity_file",
    "read_activity",
]
