"""`POST /mlflow/webhook`: MLflow's model registry telling the bot what changed.

The request is checked (signature, age, a delivery id not seen before) and acted on in one
short transaction that only writes rows and queues deliveries: it answers well within a
second, and the thread replies and MLflow reads it causes happen after, in the workers.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable
from typing import Any

from bot.services import Services
from mlplatform import webhooks
from workflow import registry

log = logging.getLogger(__name__)

PATH = "/mlflow/webhook"
MAX_BODY = 1 << 20  # MLflow's payloads are a few hundred bytes


def handle(services: Services, environ: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """(HTTP status, JSON body) for one webhook request."""
    settings = services.settings
    if not settings.mlflow_enabled or settings.mlflow_webhook_secret is None:
        return 404, {"error": "the MLflow webhook is off: set MLFLOW_TRACKING_URI and MLFLOW_WEBHOOK_SECRET"}
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = -1
    if not 0 < length <= MAX_BODY:
        return 400, {"error": "a webhook body of at most 1 MiB is expected"}
    body = environ["wsgi.input"].read(length)
    headers = {
        name: str(environ.get("HTTP_" + name.upper().replace("-", "_"), ""))
        for name in (webhooks.SIGNATURE_HEADER, webhooks.DELIVERY_HEADER, webhooks.TIMESTAMP_HEADER)
    }
    try:
        event = webhooks.verify(
            settings.mlflow_webhook_secret.get_secret_value(), headers, body, now=time.time()
        )
    except webhooks.Refused as refused:
        log.warning("mlflow_webhook_refused reason=%s", str(refused).replace(" ", "_"))
        return 401, {"error": str(refused)}
    judged_by = registry.Registry(
        guarded=settings.mlflow_guarded_aliases, alert_channel=settings.mlflow_alert_channel
    )
    try:
        with services.db.session() as session:
            said = registry.handle(session, event, judged_by)
    except registry.Repeated:
        log.warning("mlflow_webhook_repeated delivery=%s event=%s", event.delivery_id, event.name)
        return 409, {"error": "this delivery was handled already"}
    log.info("mlflow_webhook delivery=%s event=%s: %s", event.delivery_id, event.name, said)
    return 200, {"ok": True}


def respond(status: int, body: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    payload = json.dumps(body).encode()
    reasons = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 409: "Conflict"}
    start_response(
        f"{status} {reasons.get(status, 'Error')}",
        [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))],
    )
    return [payload]
