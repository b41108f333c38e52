"""Safety limits for heat and water: defaults, hard ceilings, and the pure checks on them."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from mqtt_bridge.errors import ConfigError, RefusedError, RequestError

# Hard ceilings no configuration can exceed (FDA/CPSC advice: heating pads 15-20 min on one area;
# hot-tub water at most 40 °C; scalds start around 49 °C).
HEAT_CEILING_MINUTES = 60
BATH_CEILING_C = 42.0
BATH_FLOOR_C = 30.0
FILL_CEILING_MINUTES = 30
# Water may read this much above the target before the valve closes as "too hot".
OVER_TEMPERATURE_MARGIN_C = 1.0


@dataclass(frozen=True)
class QuietHours:
    """A nightly window in which heat is not started without explicit confirmation."""

    start: time
    end: time

    def contains(self, moment: time) -> bool:
        """Tell whether a local time of day falls inside the window (which may cross midnight)."""
        if self.start <= self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end

    def describe(self) -> str:
        """Say the window, e.g. '22:00 to 07:00'."""
        return f"{self.start:%H:%M} to {self.end:%H:%M}"


@dataclass(frozen=True)
class SafetyLimits:
    """The limits the bridge enforces; every field has a safe default and a ceiling."""

    heat_default_minutes: int = 20
    heat_max_minutes: int = 20
    heat_min_gap_minutes: int = 10
    quiet_hours: QuietHours | None = QuietHours(time(22, 0), time(7, 0))
    bath_min_c: float = 37.0
    bath_max_c: float = 40.0
    bath_default_c: float = 38.5
    tub_litres: float = 150.0
    flow_litres_per_minute: float = 15.0
    fill_max_minutes: int = 20
    confirm_timeout_s: float = 3.0

    def __post_init__(self) -> None:
        _between("safety.heat.max_minutes", self.heat_max_minutes, 1, HEAT_CEILING_MINUTES)
        _between("safety.heat.default_minutes", self.heat_default_minutes, 1, self.heat_max_minutes)
        _between("safety.heat.min_gap_minutes", self.heat_min_gap_minutes, 0, 24 * 60)
        _between("safety.bath.max_c", self.bath_max_c, BATH_FLOOR_C, BATH_CEILING_C)
        _between("safety.bath.min_c", self.bath_min_c, BATH_FLOOR_C, self.bath_max_c)
        _between("safety.bath.default_c", self.bath_default_c, self.bath_min_c, self.bath_max_c)
        _between("safety.bath.tub_litres", self.tub_litres, 20, 500)
        _between("safety.bath.flow_litres_per_minute", self.flow_litres_per_minute, 1, 60)
        _between("safety.bath.fill_max_minutes", self.fill_max_minutes, 1, FILL_CEILING_MINUTES)
        _between("safety.confirm_timeout_s", self.confirm_timeout_s, 0.1, 7.0)

    def heat_minutes(self, requested: float | None) -> tuple[int, bool]:
        """Return the minutes to run the pad and whether the request was cut to the limit."""
        if requested is None:
            return self.heat_default_minutes, False
        if isinstance(requested, bool) or not isinstance(requested, int | float):
            raise RequestError("minutes must be a number")
        if not math.isfinite(requested) or requested <= 0:
            raise RequestError("minutes must be more than zero")
        minutes = max(1, round(requested))
        if minutes > self.heat_max_minutes:
            return self.heat_max_minutes, True
        return minutes, False

    def check_heat_start(
        self, local_now: datetime, last_heat_end: datetime | None, confirmed_quiet: bool
    ) -> None:
        """Refuse heat during quiet hours (unless confirmed) or too soon after the last session."""
        if self.quiet_hours and self.quiet_hours.contains(local_now.time()) and not confirmed_quiet:
            raise RefusedError(
                f"it's quiet hours ({self.quiet_hours.describe()}), when heat is not started "
                "without an explicit confirmation, so nobody falls asleep on a heating pad",
                "quiet_hours",
            )
        if last_heat_end is not None:
            ready = last_heat_end + timedelta(minutes=self.heat_min_gap_minutes)
            if local_now < ready:
                wait = math.ceil((ready - local_now).total_seconds() / 60)
                raise RefusedError(
                    f"the pad needs a {self.heat_min_gap_minutes} minute break between sessions; "
                    f"try again in {wait} minute{'s' if wait != 1 else ''}",
                    "rest_gap",
                )

    def bath_target(self, requested: float | None) -> float:
        """Return the target temperature, refusing anything outside the bath limits."""
        if requested is None:
            return self.bath_default_c
        if isinstance(requested, bool) or not isinstance(requested, int | float):
            raise RequestError("temperature_c must be a number")
        if not math.isfinite(requested):
            raise RequestError("temperature_c must be a number")
        if requested > self.bath_max_c:
            raise RefusedError(
                f"{requested:g} degrees is too hot: the limit is {self.bath_max_c:g} degrees",
                "too_hot",
            )
        if requested < self.bath_min_c:
            raise RefusedError(
                f"{requested:g} degrees is too cool for a warm bath: "
                f"choose {self.bath_min_c:g} to {self.bath_max_c:g} degrees",
                "too_cool",
            )
        return float(requested)

    def too_hot(self, reading_c: float, target_c: float) -> bool:
        """Tell whether water at `reading_c` is over the safe limit for this fill."""
        return reading_c > min(target_c + OVER_TEMPERATURE_MARGIN_C, BATH_CEILING_C)

    @property
    def fill_seconds(self) -> int:
        """Return how long to run the tap: tub volume over flow rate, capped."""
        minutes = min(self.tub_litres / self.flow_litres_per_minute, self.fill_max_minutes)
        return max(1, round(minutes * 60))


def _between(key: str, value: float, low: float, high: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(f"{key}: must be a number, got {value!r}")
    if not low <= value <= high:
        raise ConfigError(f"{key}: must be between {low:g} and {high:g}, got {value:g}")
