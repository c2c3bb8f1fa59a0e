"""MLflow's webhooks, checked: signed by the shared secret, recent, and each delivered once.

MLflow signs `{X-MLflow-Delivery-Id}.{X-MLflow-Timestamp}.{raw body}` with HMAC-SHA256 and the
webhook's secret, and sends `v1,` + the signature in base64 as `X-MLflow-Signature`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MAX_AGE_SECONDS = 300
SIGNATURE_HEADER = "X-MLflow-Signature"
DELIVERY_HEADER = "X-MLflow-Delivery-Id"
TIMESTAMP_HEADER = "X-MLflow-Timestamp"


class Refused(ValueError):
    """A request that is not a genuine, fresh MLflow webhook; the message says why."""


@dataclass(frozen=True)
class Event:
    delivery_id: str
    entity: str  # model_version, model_version_alias, model_version_tag, …
    action: str  # created, deleted, set, …
    data: dict[str, Any]

    @property
    def name(self) -> str:
        return f"{self.entity}.{self.action}"


def sign(secret: str, *, delivery_id: str, timestamp: str, body: bytes) -> str:
    message = f"{delivery_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def verify(secret: str, headers: Mapping[str, str], body: bytes, *, now: float) -> Event:
    """The event in a request, or Refused: wrong signature, too old, or not MLflow's shape.

    `headers` are looked up case-insensitively by the caller's mapping (WSGI gives upper case)."""
    delivery_id = headers.get(DELIVERY_HEADER, "")
    timestamp = headers.get(TIMESTAMP_HEADER, "")
    signature = headers.get(SIGNATURE_HEADER, "")
    if not (delivery_id and timestamp and signature):
        raise Refused("missing MLflow signature headers")
    expected = sign(secret, delivery_id=delivery_id, timestamp=timestamp, body=body)
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        raise Refused("bad signature")
    try:
        sent_at = int(timestamp)
    except ValueError:
        raise Refused("bad timestamp") from None
    if abs(now - sent_at) > MAX_AGE_SECONDS:
        # A replay of an old, genuinely signed request: the delivery id alone is kept only so long.
        raise Refused(f"timestamp {now - sent_at:.0f} s away from now (at most {MAX_AGE_SECONDS})")
    try:
        payload = json.loads(body)
    except ValueError:
        raise Refused("body is not JSON") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("data", {}), dict):
        raise Refused("body is not an MLflow event")
    return Event(
        delivery_id=delivery_id[:64],
        entity=str(payload.get("entity", "")),
        action=str(payload.get("action", "")),
        data=dict(payload.get("data") or {}),
    )
