"""The skill's request handlers, one per intent, and the order they are tried in."""

from __future__ import annotations

from datetime import tzinfo

from ask_sdk_core.dispatch_components import AbstractRequestHandler

from skill.handlers.can_fulfill import CanFulfillHandler
from skill.handlers.conversation import (
    CatchAllExceptionHandler,
    ExceptionEncounteredHandler,
    FallbackHandler,
    HelpHandler,
    LaunchHandler,
    NoHandler,
    SessionEndedHandler,
    StopHandler,
    YesHandler,
)
from skill.handlers.guidance import (
    GetRecoveryPlanHandler,
    InjuryCheckHandler,
    LogRunHandler,
    MileageHandler,
    RecoveryTopicHandler,
    ReportPainHandler,
    ReportSorenessHandler,
    RunTomorrowHandler,
    TopicHandler,
)
from skill.handlers.health import ClearInjuryHandler
from skill.handlers.home import (
    BathStatusHandler,
    DrawBathHandler,
    HeatOffHandler,
    HeatOnHandler,
    HeatStatusHandler,
    HomeStatusHandler,
    StopBathHandler,
)
from skill.handlers.routines import (
    ListRoutinesHandler,
    StartRoutineHandler,
    StopRoutineHandler,
    WhatsNextHandler,
)
from skill.handlers.stretching import (
    NextStretchHandler,
    PauseStretchHandler,
    PreviousStretchHandler,
    RepeatStretchHandler,
    ResumeStretchHandler,
    StartOverStretchHandler,
    StretchHandler,
)
from skill.handlers.training import (
    HardAgainHandler,
    HowTiredHandler,
    RateRunHandler,
    WeekSummaryHandler,
)
from skill.home import HomeAccess

# Intents that answer with guidance alone, one topic each.
TOPIC_INTENTS: dict[str, str] = {
    "IceOrHeatIntent": "ice_heat",
    "FoodIntent": "food",
    "DrinkIntent": "hydration",
    "SleepIntent": "sleep",
    "PainRelieverIntent": "pain_relievers",
    "WhySoreIntent": "why_sore",
}

# Guidance intents a name-free request may be routed to.
FULFILLABLE_INTENTS = frozenset(
    {
        "GetRecoveryPlanIntent",
        "LogRunIntent",
        "ReportSorenessIntent",
        "ReportPainIntent",
        "RecoveryTopicIntent",
        "RunTomorrowIntent",
        "MileageIntent",
        "InjuryCheckIntent",
        *TOPIC_INTENTS,
    }
)


def request_handlers(
    access: HomeAccess | None = None, timezone: tzinfo | None = None
) -> list[AbstractRequestHandler]:
    """Return every request handler, in dispatch order; `timezone` is the runners' own."""
    return [
        CanFulfillHandler(FULFILLABLE_INTENTS),
        LaunchHandler(),
        GetRecoveryPlanHandler(access, timezone),
        LogRunHandler(access, timezone),
        ReportSorenessHandler(access),
        ReportPainHandler(access),
        ClearInjuryHandler(),
        InjuryCheckHandler(),
        RecoveryTopicHandler(),
        RunTomorrowHandler(),
        MileageHandler(),
        RateRunHandler(),
        HowTiredHandler(timezone),
        HardAgainHandler(timezone),
        WeekSummaryHandler(timezone),
        *(TopicHandler(name, topic) for name, topic in TOPIC_INTENTS.items()),
        HeatOnHandler(access),
        HeatOffHandler(access),
        HeatStatusHandler(access),
        DrawBathHandler(access),
        StopBathHandler(access),
        BathStatusHandler(access),
        HomeStatusHandler(access),
        StretchHandler(),
        NextStretchHandler(),
        PreviousStretchHandler(),
        RepeatStretchHandler(),
        PauseStretchHandler(),
        ResumeStretchHandler(),
        StartOverStretchHandler(),
        StartRoutineHandler(access),
        StopRoutineHandler(access),
        WhatsNextHandler(access),
        ListRoutinesHandler(access),
        YesHandler(access),
        NoHandler(),
        HelpHandler(),
        StopHandler(),
        FallbackHandler(),
        SessionEndedHandler(),
        ExceptionEncounteredHandler(),
    ]


__all__ = ["CatchAllExceptionHandler", "request_handlers"]
