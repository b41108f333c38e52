"""Write real FIT files for tests: header with CRC, definition and data messages, file CRC.

Only what the import reads: file_id (0), record (20), session (18). Field numbers, base types
and scales are those of Garmin's FIT profile.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

FIT_EPOCH = datetime(1989, 12, 31, tzinfo=UTC)
CRC_TABLE = (
    0x0000, 0xCC01, 0xD801, 0x1400, 0xF001, 0x3C00, 0x2800, 0xE401,
    0xA001, 0x6C00, 0x7800, 0xB401, 0x5000, 0x9C01, 0x8801, 0x4400,
)  # fmt: skip

# Base types: (FIT base type byte, struct format).
ENUM = (0x00, "B")
UINT8 = (0x02, "B")
UINT16 = (0x84, "H")
SINT32 = (0x85, "i")
UINT32 = (0x86, "I")
UINT32Z = (0x8C, "I")

FILE_ID = 0
SESSION = 18
RECORD = 20
SPORTS = {"running": 1, "cycling": 2, "swimming": 5, "walking": 11}


def fit_crc(data: bytes, crc: int = 0) -> int:
    """Return the FIT CRC-16 of data."""
    for byte in data:
        for nibble in (byte & 0xF, (byte >> 4) & 0xF):
            tmp = CRC_TABLE[crc & 0xF]
            crc = (crc >> 4) & 0x0FFF
            crc = crc ^ tmp ^ CRC_TABLE[nibble]
    return crc


def fit_time(at: datetime) -> int:
    """Return a FIT date_time: seconds since 1989-12-31 UTC."""
    return int((at - FIT_EPOCH).total_seconds())


@dataclass
class FitWriter:
    """Collect messages, then write them as one FIT file."""

    body: bytearray = field(default_factory=bytearray)
    defined: dict[int, tuple[int, tuple[tuple[int, tuple[int, str]], ...]]] = field(
        default_factory=dict
    )

    def message(
        self, global_number: int, fields: Sequence[tuple[int, tuple[int, str], int]]
    ) -> None:
        """Add a data message, defining it first when its fields differ from the last one."""
        layout = tuple((number, base) for number, base, _ in fields)
        local = global_number % 16
        if self.defined.get(local) != (global_number, layout):
            self.body += struct.pack("<BBBHB", 0x40 | local, 0, 0, global_number, len(layout))
            for number, (base, fmt) in layout:
                self.body += struct.pack("<BBB", number, struct.calcsize(fmt), base)
            self.defined[local] = (global_number, layout)
        self.body += struct.pack("<B", local)
        for _, (_, fmt), value in fields:
            self.body += struct.pack("<" + fmt, value)

    def to_bytes(self) -> bytes:
        """Return the file: header (with its CRC), messages, and the file CRC."""
        header = struct.pack("<BBHI4s", 14, 0x20, 2132, len(self.body), b".FIT")
        header += struct.pack("<H", fit_crc(header))
        data = header + bytes(self.body)
        return data + struct.pack("<H", fit_crc(data))


@dataclass(frozen=True)
class Sample:
    """One record message."""

    at: datetime
    distance_m: float
    heart_rate: int | None = None
    # Strides per minute per leg, as FIT stores running cadence.
    cadence: int | None = None
    altitude_m: float | None = None
    lat: float | None = None
    lon: float | None = None


def fit_activity(
    samples: Sequence[Sample],
    *,
    sport: str = "running",
    session: dict[str, float] | None = None,
    file_type: int = 4,
) -> bytes:
    """Return a FIT activity file with these records and (unless None) a session message.

    `session` keys: timer_s, elapsed_s, distance_m, ascent_m, avg_hr, max_hr, avg_cadence.
    """
    writer = FitWriter()
    first = samples[0].at if samples else FIT_EPOCH
    writer.message(
        FILE_ID,
        [(0, ENUM, file_type), (1, UINT16, 1), (3, UINT32Z, 12345), (4, UINT32, fit_time(first))],
    )
    for sample in samples:
        fields: list[tuple[int, tuple[int, str], int]] = [
            (253, UINT32, fit_time(sample.at)),
            (5, UINT32, round(sample.distance_m * 100)),
        ]
        if sample.lat is not None and sample.lon is not None:
            fields.append((0, SINT32, round(sample.lat / 180 * 2**31)))
            fields.append((1, SINT32, round(sample.lon / 180 * 2**31)))
        if sample.altitude_m is not None:
            fields.append((2, UINT16, round((sample.altitude_m + 500) * 5)))
        if sample.heart_rate is not None:
            fields.append((3, UINT8, sample.heart_rate))
        if sample.cadence is not None:
            fields.append((4, UINT8, sample.cadence))
        writer.message(RECORD, fields)
    if session is not None:
        end = samples[-1].at if samples else first
        fields = [
            (253, UINT32, fit_time(end)),
            (2, UINT32, fit_time(first)),
            (5, ENUM, SPORTS[sport]),
        ]
        scaled = {
            "elapsed_s": (7, UINT32, 1000),
            "timer_s": (8, UINT32, 1000),
            "distance_m": (9, UINT32, 100),
            "avg_hr": (16, UINT8, 1),
            "max_hr": (17, UINT8, 1),
            "avg_cadence": (18, UINT8, 1),
            "ascent_m": (22, UINT16, 1),
        }
        for key, value in session.items():
            number, base, scale = scaled[key]
            fields.append((number, base, round(value * scale)))
        writer.message(SESSION, fields)
    return writer.to_bytes()
