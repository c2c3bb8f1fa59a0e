"""MLflow links posted in Slack unfurl with what MLflow says of them (`link_shared`, `chat.unfurl`).

The event goes through the real Bolt app; the preview is read from a real MLflow server by the
delivery worker, and the fake Slack records what `chat.unfurl` attached.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select

from storage.db import Database
from storage.models import Delivery
from tests.harness import BotServer, all_text
from tests.mlflow_server import MlflowServer
from workflow.delivery import Kind

CHANNEL, TS = "C_TEAM", "1700000099.000100"


@pytest.fixture
def bot_settings(mlflow_server: MlflowServer) -> dict[str, object]:
    return {"mlflow_tracking_uri": mlflow_server.url}


@pytest.fixture
def bot_db(db: Database) -> Database:
    return db


@pytest.fixture(scope="module")
def run(mlflow_server: MlflowServer) -> tuple[str, str]:
    """(experiment id, run id) of a finished run with two metrics."""
    client = mlflow_server.client()
    experiment_id = client.create_experiment("unfurls")
    created = client.create_run(experiment_id, run_name="retrieval-v2")
    client.log_metric(created.info.run_id, "accuracy", 0.91)
    client.log_metric(created.info.run_id, "latency_ms", 420)
    client.set_terminated(created.info.run_id)
    return experiment_id, created.info.run_id


def _shared(*urls: str, source: str = "conversations_history") -> dict[str, Any]:
    return {
        "type": "link_shared",
        "channel": CHANNEL,
        "is_bot_user_member": True,
        "user": "U_OWNER",
        "message_ts": TS,
        "unfurl_id": f"{CHANNEL}.{TS}.abc",
        "source": source,
        "links": [{"domain": url.split("/")[2].split(":")[0], "url": url} for url in urls],
    }


def _queued(bot: BotServer) -> list[Delivery]:
    with bot.db.read() as session:
        return list(session.exec(select(Delivery).where(Delivery.kind == Kind.UNFURL)))


def test_a_run_link_unfurls_with_its_status_and_metrics(
    bot: BotServer, mlflow_server: MlflowServer, run: tuple[str, str]
) -> None:
    experiment_id, run_id = run
    url = f"{mlflow_server.url}/#/experiments/{experiment_id}/runs/{run_id}"
    reply = bot.event(_shared(url, "https://docs.example.com/guide"))
    assert reply.status == 200
    call = bot.slack.wait_for("chat.unfurl")[0]
    assert (call.args["channel"], call.args["ts"]) == (CHANNEL, TS)
    # Only the MLflow link is previewed; the other link is left to Slack.
    assert list(bot.slack.unfurls[(CHANNEL, TS)]) == [url]
    preview = all_text(bot.slack.unfurls[(CHANNEL, TS)][url]["blocks"])
    assert "retrieval-v2" in preview and "finished" in preview
    assert "`accuracy` 0.91" in preview and "`latency_ms` 420" in preview


def test_an_unknown_run_unfurls_as_missing(bot: BotServer, mlflow_server: MlflowServer) -> None:
    url = f"{mlflow_server.url}/#/runs/0123456789abcdef0123456789abcdef"
    bot.event(_shared(url))
    bot.slack.wait_for("chat.unfurl")
    preview = all_text(bot.slack.unfurls[(CHANNEL, TS)][url]["blocks"])
    assert "MLflow has no run `0123456789abcdef0123456789abcdef`" in preview


def test_each_link_is_previewed_once(
    bot: BotServer, mlflow_server: MlflowServer, run: tuple[str, str]
) -> None:
    _, run_id = run
    url = f"{mlflow_server.url}/#/runs/{run_id}"
    bot.event(_shared(url, url))
    [row] = _queued(bot)
    assert row.args is not None and row.args.count(run_id) == 1


@pytest.mark.parametrize(
    "event",
    [
        # Being typed: there is no message to attach a preview to yet.
        _shared("http://127.0.0.1:5000/#/runs/0123456789abcdef0123456789abcdef", source="composer"),
        # No MLflow run or model version page among the links.
        _shared("http://127.0.0.1:5000/#/experiments/1", "https://docs.example.com/guide"),
    ],
    ids=["composer", "no-mlflow-link"],
)
def test_nothing_is_queued_for_links_that_cannot_be_previewed(bot: BotServer, event: dict[str, Any]) -> None:
    assert bot.event(event).status == 200
    assert _queued(bot) == []
    assert bot.slack.calls_to("chat.unfurl") == []


@pytest.mark.parametrize("bot_settings", [{}], ids=["mlflow-off"])
def test_without_mlflow_nothing_is_queued(bot: BotServer) -> None:
    assert bot.event(_shared("http://127.0.0.1:5000/#/runs/0123456789abcdef0123456789abcdef")).status == 200
    assert _queued(bot) == []
