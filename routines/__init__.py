"""Recovery Coach domain core: guidance knowledge and rules, stretches, routines; no I/O."""

from routines.context import BodyArea, PainFlag, RunContext, RunType
from routines.errors import InvalidContextError, KnowledgeError, RoutinesError
from routines.knowledge import Knowledge, Timing, Tip, load_knowledge
from routines.plan import RecoveryPlan, build_plan
from routines.training import RunRecord, TrainingLoad, training_load
from routines.triage import Triage, TriageResult, triage

__all__ = [
    "BodyArea",
    "InvalidContextError",
    "Knowledge",
    "KnowledgeError",
    "PainFlag",
    "RecoveryPlan",
    "RoutinesError",
    "RunContext",
    "RunRecord",
    "RunType",
    "Timing",
    "Tip",
    "TrainingLoad",
    "Triage",
    "TriageResult",
    "build_plan",
    "load_knowledge",
    "training_load",
    "triage",
]
