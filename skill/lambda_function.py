"""Run the same skill as an AWS Lambda function (Alexa calls Lambda directly, signed by AWS)."""

from __future__ import annotations

import functools
import logging
from typing import TYPE_CHECKING, Any

from skill.errors import BadRequestError, SettingsError
from skill.home import HomeAccess
from skill.persistence import SQLitePersistenceAdapter
from skill.service import SkillService, build_skill
from skill.settings import Settings, load_settings

if TYPE_CHECKING:
    from skill.dynamodb import DynamoDbPersistenceAdapter

log = logging.getLogger(__name__)


def persistence_for(settings: Settings) -> SQLitePersistenceAdapter | DynamoDbPersistenceAdapter:
    """Use DynamoDB when a table is configured (the Lambda way), else SQLite."""
    if settings.dynamodb_table:
        try:
            from skill.dynamodb import DynamoDbPersistenceAdapter
        except ImportError as exc:
            raise SettingsError(
                "RECOVERY_COACH_DYNAMODB_TABLE is set but boto3 is not installed: "
                "pip install 'recovery-coach[lambda]'"
            ) from exc
        return DynamoDbPersistenceAdapter(settings.dynamodb_table)
    return SQLitePersistenceAdapter(settings.database)


@functools.cache
def _service() -> SkillService:
    settings = load_settings()
    access = HomeAccess.from_settings(settings)
    skill = build_skill(persistence_for(settings), access, settings.timezone)
    return SkillService(skill, settings.skill_ids)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Answer one Alexa request delivered by the Lambda runtime."""
    try:
        return _service().dispatch(event)
    except BadRequestError as exc:
        # Lambda has no status codes; raising makes Alexa report the failure to the developer.
        log.warning("rejected request: %s", exc)
        raise
