"""The model registry through MLflow's real webhooks: a version registered from the linked run
is announced, `production` set before the sign-offs raises exactly one alert, and after them the
bot sets the alias itself without alerting anyone. Forged, stale and repeated deliveries change
nothing. Over signed HTTP with the fake Slack and a real MLflow server, both databases."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable

import requests
from sqlmodel import func, select

from bot import ids
from mlplatform.client import WEBHOOK_EVENTS
from mlplatform.webhooks import sign
from storage.models import AuditEvent, Delivery, EvidenceLink, WebhookReceipt
from tests.bot.listeners.review_helpers import (
    CHANNEL,
    OWNER,
    SIGNERS,
    approve_reviews,
    card_text,
    card_ts,
    submit,
    thread_reply,
    tick_all,
)
from tests.bot.mlflow.conftest import SECRET, Lab
from tests.harness import BotServer, all_text


def _eventually(check: Callable[[], bool], what: str, timeout: float = 20) -> None:
    """MLflow sends its webhooks from its own threads, a moment after the call that caused them."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def _thread_texts(bot: BotServer) -> list[str]:
    return [all_text(m.get("blocks")) for m in bot.slack.thread(CHANNEL, card_ts(bot))]


def _alerts(bot: BotServer) -> list[str]:
    return [t for t in _thread_texts(bot) if "Guarded alias set outside approval" in t]


def _audit(bot: BotServer, action: str) -> list[str]:
    with bot.db.read() as session:
        rows = session.exec(select(AuditEvent).where(AuditEvent.action == action)).all()
        return [r.detail or "" for r in rows]


def test_registry_news_reaches_the_thread_and_the_alias_follows_the_approvals(
    team: BotServer, lab: Lab
) -> None:
    bot = team
    lab.client.create_webhook(
        name="aiteam", url=f"{bot.url}/mlflow/webhook", events=list(WEBHOOK_EVENTS), secret=SECRET
    )
    _, run = lab.run("xgb", accuracy=0.92)
    bot.command("/experiment", "propose Gradient boosting beats the baseline")
    bot.command("/experiment", f"evidence EXP-1 runs:/{run}", user=OWNER)
    review_ts = submit(bot)
    tick_all(bot, review_ts)
    approve_reviews(bot, review_ts)
    bot.delivered()
    assert "EXP-1 · reviewed" in card_text(bot)

    # Training code registers the model from the linked run: the bot links and announces it.
    lab.client.create_registered_model(lab.model)
    version = lab.client.create_model_version(lab.model, source=f"runs:/{run}/model", run_id=run).version
    _eventually(lambda: any("is now linked to EXP-1" in t for t in _thread_texts(bot)), "the announcement")
    bot.delivered()
    show = all_text(bot.command("/experiment", "show EXP-1", user=OWNER).json()["blocks"])
    assert f"{lab.model} v{version}" in show and "no alias" in show

    # Someone sets production by hand before the sign-offs: one alert, naming security and the lead.
    lab.client.set_registered_model_alias(lab.model, "production", version)
    _eventually(lambda: bool(_alerts(bot)), "the alert")
    bot.delivered()
    alert = _alerts(bot)
    assert len(alert) == 1
    assert f"<@{SIGNERS['security']}>" in alert[0] and f"<@{SIGNERS['technical_lead']}>" in alert[0]
    assert _audit(bot, "registry:alias_outside_approval") == [
        f"production on {lab.model} v{version} while EXP-1 is reviewed"
    ]
    lab.client.delete_registered_model_alias(lab.model, "production")
    # created, alias set, alias removed: the removal is in before the bot sets the alias itself.
    _eventually(lambda: _receipts(bot) >= 3, "the alias removal")

    # The team approves: the bot sets the alias itself, and that raises no alert.
    bot.command("/experiment", "promote EXP-1", user=OWNER)
    bot.delivered()
    signoff_ts = thread_reply(bot, "ready for production")[0]
    for role, user in SIGNERS.items():
        bot.click(CHANNEL, signoff_ts, ids.SIGNOFF_APPROVE, user=user, value=f"1:{role}")
    bot.delivered()
    assert "EXP-1 · production" in card_text(bot)
    plan = all_text(thread_reply(bot, "is in production")[1]["blocks"])
    assert f"The bot sets `@production` on *{lab.model} v{version}* in MLflow" in plan
    _eventually(lambda: bool(_audit(bot, "registry:deployed")), "the deployed record")
    bot.delivered()
    assert lab.client.get_model_version_by_alias(lab.model, "production").version == version
    assert _audit(bot, "registry:alias_set") == [f"production on {lab.model} v{version}"]
    assert _audit(bot, "registry:deployed") == [f"production on {lab.model} v{version}"]
    assert len(_alerts(bot)) == 1
    assert any("The bot set `@production`" in t for t in _thread_texts(bot))


def _receipts(bot: BotServer) -> int:
    with bot.db.read() as session:
        return int(session.exec(select(func.count()).select_from(WebhookReceipt)).one())


def _post(bot: BotServer, body: bytes, *, delivery_id: str, timestamp: int, secret: str = SECRET) -> int:
    headers = {
        "Content-Type": "application/json",
        "X-MLflow-Delivery-Id": delivery_id,
        "X-MLflow-Timestamp": str(timestamp),
        "X-MLflow-Signature": sign(secret, delivery_id=delivery_id, timestamp=str(timestamp), body=body),
    }
    return requests.post(f"{bot.url}/mlflow/webhook", data=body, headers=headers, timeout=5).status_code


def test_forged_stale_and_repeated_deliveries_change_nothing(team: BotServer, lab: Lab) -> None:
    bot = team
    _, run = lab.run("xgb", accuracy=0.92)
    bot.command("/experiment", "propose Gradient boosting beats the baseline")
    bot.command("/experiment", f"evidence EXP-1 runs:/{run}", user=OWNER)
    bot.delivered()
    body = json.dumps(
        {
            "entity": "model_version",
            "action": "created",
            "data": {"name": lab.model, "version": "1", "run_id": run},
        }
    ).encode()

    def state() -> tuple[int, int, int]:
        with bot.db.read() as session:
            return (
                int(session.exec(select(func.count()).select_from(EvidenceLink)).one()),
                int(session.exec(select(func.count()).select_from(Delivery)).one()),
                int(session.exec(select(func.count()).select_from(WebhookReceipt)).one()),
            )

    before = state()
    now = int(time.time())
    assert _post(bot, body, delivery_id=str(uuid.uuid4()), timestamp=now, secret="wrong") == 401
    assert _post(bot, body, delivery_id=str(uuid.uuid4()), timestamp=now - 301) == 401
    assert state() == before
    delivery_id = str(uuid.uuid4())
    assert _post(bot, body, delivery_id=delivery_id, timestamp=now) == 200
    after = state()
    assert after[0] == before[0] + 1 and after[2] == before[2] + 1
    assert _post(bot, body, delivery_id=delivery_id, timestamp=now) == 409
    assert state() == after
    bot.delivered()
    assert sum("is now linked to EXP-1" in t for t in _thread_texts(bot)) == 1
