"""Keep each Alexa user's attributes in DynamoDB (the Lambda way), changed atomically per user.

The item layout is the one ask-sdk's DynamoDB adapter uses (partition key `id` holding the user
id, the attributes as a map under `attributes`), so a table it filled keeps working; a `version`
number is added. The contract is skill.persistence's: an AttributeUpdate is re-applied to a
consistent read and stored with a put conditional on the version read, retried on conflict; a
plain save is conditional on the version the request read. Many Lambda instances can serve one
user at once and share no lock, so the condition is what makes the write atomic.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import boto3
from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
from ask_sdk_model import RequestEnvelope
from boto3.dynamodb.conditions import Attr
from botocore.exceptions import BotoCoreError, ClientError

from skill.errors import ConflictError, SaveError, StorageError
from skill.persistence import (
    Attributes,
    AttributeUpdate,
    Change,
    ReadVersions,
    backoff_s,
    user_id_of,
)

PARTITION_KEY = "id"
ATTRIBUTES = "attributes"
VERSION = "version"
# Lambda instances are single-threaded, so writers for one user are few; past this many
# conflicts the request says it could not save.
UPDATE_ATTEMPTS = 16


class DynamoDbPersistenceAdapter(AbstractPersistenceAdapter):
    """Store attributes as a map, one versioned item per user, in an existing DynamoDB table."""

    def __init__(self, table_name: str, dynamodb: Any = None) -> None:
        resource = dynamodb if dynamodb is not None else boto3.resource("dynamodb")
        self._name = table_name
        self._table = resource.Table(table_name)
        self._versions = ReadVersions()

    def get_attributes(self, request_envelope: RequestEnvelope) -> Attributes:
        """Return the stored attributes of the request's user, or an empty dict."""
        attributes, version = self._read(user_id_of(request_envelope), StorageError)
        self._versions.remember(request_envelope, version)
        return attributes

    def save_attributes(self, request_envelope: RequestEnvelope, attributes: Attributes) -> None:
        """Store the user's attributes: re-apply an update, or write if nobody saved since."""
        user_id = user_id_of(request_envelope)
        if isinstance(attributes, AttributeUpdate):
            version = self._apply(user_id, attributes)
        else:
            expected = self._versions.read_by(request_envelope)
            if not self._put(user_id, attributes, expected):
                raise ConflictError("attributes of a user changed since this request read them")
            version = expected + 1
        self._versions.remember(request_envelope, version)

    def delete_attributes(self, request_envelope: RequestEnvelope) -> None:
        """Forget everything stored for the request's user."""
        try:
            self._table.delete_item(Key={PARTITION_KEY: user_id_of(request_envelope)})
        except (BotoCoreError, ClientError) as exc:
            raise SaveError(f"cannot delete from DynamoDB table {self._name}: {exc}") from exc
        self._versions.remember(request_envelope, 0)

    def read_user(self, user_id: str) -> Attributes:
        """Return what is stored for a user outside any request (an import, a report)."""
        return self._read(user_id, StorageError)[0]

    def update_user(self, user_id: str, change: Change) -> Attributes:
        """Apply `change` to a user's stored attributes with a conditional write, retried."""
        update = AttributeUpdate(change, {})
        self._apply(user_id, update)
        return dict(update)

    def _apply(self, user_id: str, update: AttributeUpdate) -> int:
        for attempt in range(UPDATE_ATTEMPTS):
            stored, expected = self._read(user_id, SaveError)
            if self._put(user_id, update.apply_to(stored), expected):
                return expected + 1
            time.sleep(backoff_s(attempt, base_s=0.01, cap_s=0.25))
        raise ConflictError(f"gave up after {UPDATE_ATTEMPTS} conflicting saves")

    def _read(self, user_id: str, error: type[StorageError]) -> tuple[Attributes, int]:
        try:
            reply = self._table.get_item(Key={PARTITION_KEY: user_id}, ConsistentRead=True)
        except (BotoCoreError, ClientError) as exc:
            raise error(f"cannot read from DynamoDB table {self._name}: {exc}") from exc
        item = reply.get("Item")
        if item is None:
            return {}, 0
        attributes = from_dynamo(item.get(ATTRIBUTES))
        # An item ask-sdk's adapter wrote has no version: 0, like no item at all.
        version = int(item.get(VERSION, 0))
        return (attributes if isinstance(attributes, dict) else {}), version

    def _put(self, user_id: str, attributes: Attributes, expected: int) -> bool:
        """Store version expected + 1 if version `expected` is what is stored; False if not."""
        condition = Attr(VERSION).not_exists() if expected == 0 else Attr(VERSION).eq(expected)
        try:
            item = {
                PARTITION_KEY: user_id,
                ATTRIBUTES: to_dynamo(attributes),
                VERSION: expected + 1,
            }
            self._table.put_item(Item=item, ConditionExpression=condition)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise SaveError(f"cannot write to DynamoDB table {self._name}: {exc}") from exc
        except (BotoCoreError, TypeError, ValueError, ArithmeticError) as exc:
            # ArithmeticError: a number outside DynamoDB's range (1E-130 to 9.9E+125).
            raise SaveError(f"cannot write to DynamoDB table {self._name}: {exc}") from exc
        return True


def to_dynamo(value: Any) -> Any:
    """Return JSON-like data as boto3 takes it: it refuses floats, so they become Decimals."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"DynamoDB cannot store {value}")
        # repr is the shortest text that reads back as the same float.
        return Decimal(repr(value))
    if isinstance(value, Mapping):
        return {str(key): to_dynamo(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_dynamo(item) for item in value]
    raise TypeError(f"cannot store a {type(value).__name__} in DynamoDB")


def from_dynamo(value: Any) -> Any:
    """Return data boto3 read as JSON-like data: whole Decimals as ints, others as floats."""
    if isinstance(value, Decimal):
        # DynamoDB keeps no difference between 10 and 10.0; both come back as 10.
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, Mapping):
        return {str(key): from_dynamo(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set):
        return [from_dynamo(item) for item in value]
    return value
