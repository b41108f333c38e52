"""Real GPX, TCX and FIT files of one synthetic run, written for the import tests."""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fit_writer import Sample, fit_activity

START = datetime(2025, 10, 6, 6, 30, tzinfo=UTC)
GPXTPX = "http://www.garmin.com/xmlschemas/TrackPointExtension/v1"
TCX_NS = "http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"
TPX_NS = "http://www.garmin.com/xmlschemas/ActivityExtension/v2"


@dataclass(frozen=True)
class Run:
    """A run sampled every `step_s` seconds at a steady pace, with a pause in the middle."""

    start: datetime = START
    minutes: int = 30
    pace_m_s: float = 3.0
    step_s: int = 5
    pause_s: int = 0
    climb_m: float = 40.0

    def samples(self) -> list[Sample]:
        samples = []
        count = self.minutes * 60 // self.step_s
        for i in range(count + 1):
            paused = self.pause_s if i > count // 2 else 0
            at = self.start + timedelta(seconds=i * self.step_s + paused)
            metres = i * self.step_s * self.pace_m_s
            # Up the hill for the first half, back down for the second.
            half = count / 2
            altitude = 100 + self.climb_m * (1 - abs(i - half) / half)
            samples.append(
                Sample(
                    at=at,
                    distance_m=metres,
                    heart_rate=140 + i % 20,
                    cadence=85,
                    altitude_m=altitude,
                    lat=51.5 + metres / 111_195,
                    lon=-0.12,
                )
            )
        return samples


def gpx_text(run: Run, *, sport: str = "running", timed: bool = True) -> str:
    points = []
    for sample in run.samples():
        time = f"<time>{sample.at:%Y-%m-%dT%H:%M:%SZ}</time>" if timed else ""
        points.append(
            f'<trkpt lat="{sample.lat:.7f}" lon="{sample.lon:.7f}">'
            f"<ele>{sample.altitude_m:.1f}</ele>{time}"
            "<extensions><gpxtpx:TrackPointExtension>"
            f"<gpxtpx:hr>{sample.heart_rate}</gpxtpx:hr><gpxtpx:cad>{sample.cadence}</gpxtpx:cad>"
            "</gpxtpx:TrackPointExtension></extensions></trkpt>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1" '
        f'xmlns:gpxtpx="{GPXTPX}">'
        f"<trk><name>Morning Run</name><type>{sport}</type><trkseg>"
        + "".join(points)
        + "</trkseg></trk></gpx>\n"
    )


def tcx_text(run: Run, *, sport: str = "Running") -> str:
    samples = run.samples()
    half = len(samples) // 2
    laps = []
    for lap in (samples[:half], samples[half:]):
        # The watch's timer: a pause inside the lap is not in its time.
        seconds = (len(lap) - 1) * run.step_s
        metres = lap[-1].distance_m - lap[0].distance_m
        points = "".join(
            f"<Trackpoint><Time>{s.at:%Y-%m-%dT%H:%M:%SZ}</Time>"
            f"<Position><LatitudeDegrees>{s.lat}</LatitudeDegrees>"
            f"<LongitudeDegrees>{s.lon}</LongitudeDegrees></Position>"
            f"<AltitudeMeters>{s.altitude_m}</AltitudeMeters>"
            f"<DistanceMeters>{s.distance_m}</DistanceMeters>"
            f"<HeartRateBpm><Value>{s.heart_rate}</Value></HeartRateBpm>"
            f"<Extensions><TPX xmlns='{TPX_NS}'><RunCadence>{s.cadence}</RunCadence></TPX>"
            "</Extensions></Trackpoint>"
            for s in lap
        )
        laps.append(
            f'<Lap StartTime="{lap[0].at:%Y-%m-%dT%H:%M:%SZ}">'
            f"<TotalTimeSeconds>{seconds}</TotalTimeSeconds>"
            f"<DistanceMeters>{metres}</DistanceMeters>"
            "<AverageHeartRateBpm><Value>150</Value></AverageHeartRateBpm>"
            "<MaximumHeartRateBpm><Value>159</Value></MaximumHeartRateBpm>"
            f"<Track>{points}</Track></Lap>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<TrainingCenterDatabase xmlns="{TCX_NS}"><Activities>'
        f'<Activity Sport="{sport}"><Id>{run.start:%Y-%m-%dT%H:%M:%SZ}</Id>'
        + "".join(laps)
        + "</Activity></Activities></TrainingCenterDatabase>\n"
    )


def fit_bytes(run: Run, *, sport: str = "running", session: bool = True) -> bytes:
    samples = run.samples()
    totals = {
        "timer_s": run.minutes * 60,
        "elapsed_s": run.minutes * 60 + run.pause_s,
        "distance_m": samples[-1].distance_m,
        "ascent_m": 41,
        "avg_hr": 149,
        "max_hr": 159,
        "avg_cadence": 86,
    }
    return fit_activity(samples, sport=sport, session=totals if session else None)


def write(path: Path, content: str | bytes, *, gzipped: bool = False) -> Path:
    data = content.encode() if isinstance(content, str) else content
    path.write_bytes(gzip.compress(data) if gzipped else data)
    return path
