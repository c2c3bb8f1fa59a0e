"""MLflow's webhook signatures: a genuine, fresh, JSON event passes; anything else is refused
saying why."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

from mlplatform.webhooks import (
    DELIVERY_HEADER,
    MAX_AGE_SECONDS,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    Event,
    Refused,
    sign,
    verify,
)

SECRET = "webhook-secret"
NOW = 1_790_000_000.0
BODY = json.dumps(
    {
        "entity": "model_version_alias",
        "action": "created",
        "timestamp": "2026-09-21T12:00:00Z",
        "data": {"name": "churn", "alias": "production", "version": "3"},
    }
).encode()


def signed(body: bytes = BODY, *, timestamp: float = NOW, delivery_id: str = "d-1") -> dict[str, str]:
    ts = str(int(timestamp))
    return {
        DELIVERY_HEADER: delivery_id,
        TIMESTAMP_HEADER: ts,
        SIGNATURE_HEADER: sign(SECRET, delivery_id=delivery_id, timestamp=ts, body=body),
    }


def test_the_signature_is_mlflows() -> None:
    """`v1,` + base64 HMAC-SHA256 of `{delivery id}.{timestamp}.{body}`, as MLflow documents it,
    worked out here independently of `sign`."""
    digest = hmac.new(SECRET.encode(), b"d-1.1790000000." + BODY, hashlib.sha256).digest()
    assert signed()[SIGNATURE_HEADER] == "v1," + base64.b64encode(digest).decode()


def test_a_good_signature_gives_the_event() -> None:
    assert verify(SECRET, signed(), BODY, now=NOW) == Event(
        delivery_id="d-1",
        entity="model_version_alias",
        action="created",
        data={"name": "churn", "alias": "production", "version": "3"},
    )
    assert verify(SECRET, signed(), BODY, now=NOW).name == "model_version_alias.created"


@pytest.mark.parametrize("age", [-MAX_AGE_SECONDS, 0, MAX_AGE_SECONDS])
def test_a_timestamp_within_five_minutes_either_way_passes(age: int) -> None:
    assert verify(SECRET, signed(timestamp=NOW - age), BODY, now=NOW).delivery_id == "d-1"


@pytest.mark.parametrize(
    ("headers", "body", "says"),
    [
        ({**signed(), SIGNATURE_HEADER: "v1,AAAA"}, BODY, "bad signature"),
        (signed(), BODY.replace(b"production", b"champion"), "bad signature"),
        ({**signed(), DELIVERY_HEADER: "d-2"}, BODY, "bad signature"),
        ({**signed(), TIMESTAMP_HEADER: str(int(NOW) + 1)}, BODY, "bad signature"),
    ],
    ids=["forged", "body-changed", "delivery-id-changed", "timestamp-changed"],
)
def test_a_bad_signature_is_refused(headers: dict[str, str], body: bytes, says: str) -> None:
    with pytest.raises(Refused, match=says):
        verify(SECRET, headers, body, now=NOW)


def test_another_secret_is_refused() -> None:
    with pytest.raises(Refused, match="bad signature"):
        verify("another-secret", signed(), BODY, now=NOW)


@pytest.mark.parametrize("age", [MAX_AGE_SECONDS + 1, -(MAX_AGE_SECONDS + 1), 86_400])
def test_a_stale_timestamp_is_refused_even_when_genuinely_signed(age: int) -> None:
    with pytest.raises(Refused, match=rf"timestamp {age} s away from now \(at most {MAX_AGE_SECONDS}\)"):
        verify(SECRET, signed(timestamp=NOW - age), BODY, now=NOW)


def test_a_timestamp_that_is_no_number_is_refused() -> None:
    headers = {DELIVERY_HEADER: "d-1", TIMESTAMP_HEADER: "yesterday"}
    headers[SIGNATURE_HEADER] = sign(SECRET, delivery_id="d-1", timestamp="yesterday", body=BODY)
    with pytest.raises(Refused, match="bad timestamp"):
        verify(SECRET, headers, BODY, now=NOW)


@pytest.mark.parametrize("missing", [SIGNATURE_HEADER, DELIVERY_HEADER, TIMESTAMP_HEADER])
def test_a_missing_header_is_refused(missing: str) -> None:
    headers = {k: v for k, v in signed().items() if k != missing}
    with pytest.raises(Refused, match="missing MLflow signature headers"):
        verify(SECRET, headers, BODY, now=NOW)


def test_no_headers_at_all_is_refused() -> None:
    with pytest.raises(Refused, match="missing MLflow signature headers"):
        verify(SECRET, {}, BODY, now=NOW)


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"entity=model_version", "body is not JSON"),
        (b"\xff\xfe", "body is not JSON"),
        (b'["model_version", "created"]', "body is not an MLflow event"),
        (b'{"entity": "model_version", "action": "created", "data": [1]}', "body is not an MLflow event"),
    ],
    ids=["form", "binary", "a-list", "data-not-an-object"],
)
def test_a_signed_body_that_is_no_mlflow_event_is_refused(body: bytes, says: str) -> None:
    with pytest.raises(Refused, match=says):
        verify(SECRET, signed(body), body, now=NOW)
