"""Short spoken answers about training load, and a card with the week's numbers.

Every answer is a few plain sentences with the numbers behind it, in the runner's unit, and says
where a figure is an estimate. A red flag comes first, always.
"""

from __future__ import annotations

from routines.context import DistanceUnit
from routines.easy_share import EASY_GOAL, EasyBasis, EasyShare
from routines.fitness import Fitness, LoadPoint
from routines.load import LoadMethod
from routines.readiness import (
    VERY_SORE_LEVEL,
    HardAgain,
    HardKind,
    Limit,
    Tired,
    Tiredness,
    Wait,
)
from routines.training import RunRecord
from routines.week import WeekSummary, WeekTotals
from routines.words import RUN_NAMES, amount, and_list, cap_amount

NO_RUNS = (
    "I don't have any runs from you yet. Tell me about a run, or import one from your watch "
    "or Strava."
)
UNWEIGHED = (
    "I can't weigh your runs yet: they have no heart rate, time or effort. Next time, tell me "
    "how long it took and how hard it felt, from 1 to 10."
)
LEVEL_SAYS: dict[Tired, str] = {
    Tired.FRESH: "You're fresh",
    Tired.NORMAL: "You're neither fresh nor tired",
    Tired.TIRED: "You're tired, the usual tiredness of training",
    Tired.VERY_TIRED: "You're very tired",
}
METHOD_SAYS: dict[LoadMethod, str] = {
    LoadMethod.TRIMP: "your heart rate",
    LoadMethod.SRPE: "how hard your runs felt",
    LoadMethod.ASSUMED: "your run times",
}
REST_SAYS: dict[HardKind, str] = {
    HardKind.MARATHON: "a week",
    HardKind.LONG_RACE: "3 days",
}
BASIS_SAYS: dict[EasyBasis, str] = {
    EasyBasis.HEART_RATE: "by heart rate",
    EasyBasis.PACE: "judged by pace",
    EasyBasis.MIXED: "by heart rate and pace",
}


def say_distance(km: float, unit: DistanceUnit) -> str:
    """Say a distance in the runner's unit: '12.5 kilometres', '1 mile'."""
    number = amount(unit.from_km(km))
    name = "mile" if unit is DistanceUnit.MILES else "kilometre"
    return f"{number} {name}" if number == "1" else f"{number} {name}s"


def say_cap(km: float, unit: DistanceUnit) -> str:
    """Say a limit in the runner's unit, rounded down: 'about 35 kilometres'."""
    number = cap_amount(unit.from_km(km))
    name = "mile" if unit is DistanceUnit.MILES else "kilometre"
    return f"about {number} {name}" if number == "1" else f"about {number} {name}s"


def say_number(value: float) -> str:
    """Say a signed whole number the way a voice reads it: 'minus 12', 'plus 3', '0'."""
    rounded = round(value)
    if rounded == 0:
        return "0"
    return f"minus {-rounded}" if rounded < 0 else f"plus {rounded}"


def say_hours(hours: int) -> str:
    """Say a wait: 'about 20 hours' up to a day and a half, then 'about 2 days'."""
    if hours <= 1:
        return "about an hour"
    if hours < 36:
        return f"about {hours} hours"
    days = round(hours / 24)
    return f"about {days} days"


def say_duration(seconds: float) -> str:
    """Say a moving time: '3 hours 10 minutes', '45 minutes'."""
    minutes = round(seconds / 60)
    hours, minutes = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(f"{hours} hour" if hours == 1 else f"{hours} hours")
    if minutes or not hours:
        parts.append(f"{minutes} minute" if minutes == 1 else f"{minutes} minutes")
    return " ".join(parts)


def _sources(fitness: Fitness) -> str:
    return and_list([METHOD_SAYS[method] for method, _ in fitness.methods])


def _estimate(fitness: Fitness) -> str:
    """Say what the figures are estimated from, and whether there are enough weeks of runs."""
    said = f"These are estimates from {_sources(fitness)}."
    if not fitness.settled:
        days = fitness.days_of_data
        span = "1 day" if days == 1 else f"{days} days"
        said += f" I have only {span} of runs, so fitness is rough."
    return said


def _figures(point: LoadPoint) -> str:
    return (
        f"form is {say_number(point.form)}, with fitness {point.fitness:.0f} "
        f"and fatigue {point.fatigue:.0f}"
    )


def tired_answer(tiredness: Tiredness) -> str:
    """Say how tired the runner is, with form, fitness and fatigue, and soreness if it counted."""
    fitness = tiredness.fitness
    if fitness.weighed_runs == 0:
        said = UNWEIGHED if fitness.unweighed_runs else NO_RUNS
        if tiredness.raised_by_soreness:
            said += f" Going by your soreness of {tiredness.soreness} out of 10, take it easy."
        return said
    said = f"{LEVEL_SAYS[tiredness.level]}: {_figures(fitness.today)}."
    if tiredness.raised_by_soreness:
        said += f" That's counting your soreness, {tiredness.soreness} out of 10."
    return f"{said} {_estimate(fitness)}"


def describe_run(run: RunRecord, unit: DistanceUnit) -> str:
    """Name a run in a few words: 'your half marathon', 'your 25 kilometre run'."""
    if run.run_type is not None:
        return f"your {RUN_NAMES[run.run_type]}"
    if run.distance_km:
        number = amount(unit.from_km(run.distance_km))
        return f"your {number} {'mile' if unit is DistanceUnit.MILES else 'kilometre'} run"
    return "your last hard run"


def _why_wait(wait: Wait, hard: HardAgain, unit: DistanceUnit) -> str:
    if wait.limit is Limit.AFTER_RUN and wait.run is not None and wait.kind is not None:
        rest = REST_SAYS.get(wait.kind, "2 days")
        return f"{describe_run(wait.run, unit).capitalize()} needs {rest} before hard running."
    if wait.limit is Limit.SORENESS:
        rest = "2 days" if (hard.soreness or 0) >= VERY_SORE_LEVEL else "a day"
        return f"Soreness of {hard.soreness} out of 10 needs {rest}."
    form = hard.fitness.today.form if hard.fitness is not None else 0.0
    return (
        f"That's when your form, {say_number(form)} now, climbs out of the very tired range "
        "if you rest."
    )


def hard_again_answer(hard: HardAgain, unit: DistanceUnit) -> str:
    """Say when a hard session is sensible: the red flag advice first, always."""
    if hard.hours is None:
        advice = hard.red_flag_advice or hard.refusal or ""
        return f"{advice} No hard running until that's cleared."
    fitness = hard.fitness
    no_runs = fitness is None or fitness.weighed_runs + fitness.unweighed_runs == 0
    if hard.hours == 0:
        if no_runs:
            return f"Nothing I know of says no. {NO_RUNS}"
        return (
            "You can run hard now: no recent hard run or soreness needs more rest, and your "
            "form is out of the very tired range. Warm up well. That's an estimate."
        )
    setting = hard.setting[0]
    said = f"Give it {say_hours(hard.hours)} before running hard. {_why_wait(setting, hard, unit)}"
    if (hard.soreness or 0) >= VERY_SORE_LEVEL:
        return f"{said} Rest or walk until the soreness eases."
    return f"{said} Easy running is fine meanwhile if you feel good."


def _percent(fraction: float) -> str:
    return f"{abs(fraction) * 100:.0f} percent"


def _easy_says(easy: EasyShare) -> str:
    share = easy.share
    if share is None:
        return ""
    goal = " Aim for about 80 percent." if share < EASY_GOAL - 0.05 else ""
    return f" About {share * 100:.0f} percent was easy, {BASIS_SAYS[easy.basis]}.{goal}"


def _times(count: int) -> str:
    return "once" if count == 1 else "twice" if count == 2 else f"{count} times"


def week_answer(week: WeekSummary, unit: DistanceUnit) -> str:
    """Say how the last 7 days went against the 7 before, the easy share and the 10% rule."""
    if not week.any_runs:
        return NO_RUNS
    this, last = week.this_week, week.last_week
    if this.runs == 0:
        said = "You haven't run in the last 7 days."
        if last.runs:
            said += f" The week before, you ran {_times(last.runs)}, {say_distance(last.km, unit)}."
        return said
    time = f" in {say_duration(this.moving_s)}" if this.moving_s > 0 else ""
    said = f"In the last 7 days you ran {_times(this.runs)}, {say_distance(this.km, unit)}{time}"
    change = week.km_change
    if change is None:
        said += "."
    elif abs(change) < 0.05:
        said += ", about the same as the week before."
    else:
        said += f", {_percent(change)} {'more' if change > 0 else 'less'} than the week before."
    said += _easy_says(week.easy)
    if week.training.over_ten_percent:
        said += " That's more than the 10 percent rule allows."
    return said


def _card_line(label: str, totals: WeekTotals, unit: DistanceUnit) -> str:
    parts = [f"{totals.runs} {'run' if totals.runs == 1 else 'runs'}" if totals.runs else "no runs"]
    if totals.runs:
        parts.append(say_distance(totals.km, unit))
        if totals.moving_s > 0:
            parts.append(say_duration(totals.moving_s))
        if totals.elevation_m > 0:
            parts.append(f"{totals.elevation_m:.0f} m climbed")
        parts.append(f"load {totals.load:.0f}")
    return f"{label}: {', '.join(parts)}"


def week_card(week: WeekSummary, unit: DistanceUnit) -> str:
    """Write the week's numbers for the card: totals, easy share, form and the 10% rule."""
    if not week.any_runs:
        return NO_RUNS
    lines = [
        _card_line("Last 7 days", week.this_week, unit),
        _card_line("The 7 before", week.last_week, unit),
    ]
    share = week.easy.share
    if share is not None:
        lines.append(f"Easy: {share * 100:.0f}% ({week.easy.basis.value}; aim for about 80%)")
    today = week.today
    lines.append(
        f"Fitness {today.fitness:.0f}, fatigue {today.fatigue:.0f}, form {today.form:+.0f} "
        "(estimates)"
    )
    training = week.training
    if training.baseline_km > 0:
        rule = (
            "over the 10% rule"
            if training.over_ten_percent
            else "within the 10% rule"
            if training.reference_km > 0
            else "no earlier week to compare"
        )
        lines.append(
            f"10% rule: {rule}; next week up to {say_cap(training.next_week_cap_km, unit)}"
        )
    unweighed = week.this_week.unweighed_runs
    if unweighed:
        runs = "1 run" if unweighed == 1 else f"{unweighed} runs"
        lines.append(f"{runs} with no time or effort: not in the load")
    return "\n".join(lines)
