"""The skill's request handlers, one per intent, and the order they are tried in."""

from __future__ import annotations

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
    LogRunHandler,
    MileageHandler,
    RecoveryTopicHandler,
    ReportPainHandler,
    ReportSorenessHandler,
    RunTomorrowHandler,
    TopicHandler,
)

# Intents that answer with guidance alone, one topic each.
TOPIC_INTENTS: tuple[tuple[str, str, str], ...] = (
    ("IceOrHeatIntent", "ice_heat", "Ice or heat?"),
    ("FoodIntent", "food", "Refuelling"),
    ("DrinkIntent", "hydration", "Hydration"),
    ("SleepIntent", "sleep", "Sleep"),
    ("PainRelieverIntent", "pain_relievers", "Pain relievers"),
    ("WhySoreIntent", "why_sore", "Why you're sore"),
    ("InjuryCheckIntent", "injury_signs", "Sore or injured?"),
)

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
        *(name for name, _, _ in TOPIC_INTENTS),
    }
)


def request_handlers() -> list[AbstractRequestHandler]:
    """Return every request handler, in dispatch order."""
    return [
        CanFulfillHandler(FULFILLABLE_INTENTS),
        LaunchHandler(),
        GetRecoveryPlanHandler(),
        LogRunHandler(),
        ReportSorenessHandler(),
        ReportPainHandler(),
        RecoveryTopicHandler(),
        RunTomorrowHandler(),
        MileageHandler(),
        *(TopicHandler(name, topic, title) for name, topic, title in TOPIC_INTENTS),
        YesHandler(),
        NoHandler(),
        HelpHandler(),
        StopHandler(),
        FallbackHandler(),
        SessionEndedHandler(),
        ExceptionEncounteredHandler(),
    ]


__all__ = ["CatchAllExceptionHandler", "request_handlers"]
