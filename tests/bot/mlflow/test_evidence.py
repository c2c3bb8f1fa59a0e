"""Evidence from a real MLflow tracking server: links checked before they are stored, success
criteria judged against the candidate run, baseline deltas on the review reply, and a value
logged after the submit brought in by a re-read. Over signed HTTP with the fake Slack."""

from __future__ import annotations

import socket
from datetime import timedelta
from typing import Any

from sqlmodel import select

from bot import ids
from bot.scheduler import run_once
from storage.db import Database
from storage.models import AuditEvent, EvidenceLink
from storage.types import utcnow
from tests.bot.listeners.review_helpers import (
    CHANNEL,
    OWNER,
    approve_reviews,
    card_text,
    submit,
    thread_reply,
)
from tests.bot.mlflow.conftest import Lab
from tests.fakeslack import FakeSlack
from tests.harness import BotServer, all_text
from workflow.criteria import COMPUTED_ITEM
from workflow.vocabulary import CHECKLIST

BY_HAND = [key for key in CHECKLIST if key != COMPUTED_ITEM]


def _review_text(bot: BotServer) -> str:
    return all_text(thread_reply(bot, "up for review")[1]["blocks"])


def test_criteria_pass_and_fail_as_the_linked_run_says_and_a_later_value_arrives_by_a_reread(
    team: BotServer, lab: Lab
) -> None:
    bot = team
    experiment_id, candidate = lab.run("xgb", accuracy=0.87, latency_ms=420.0, f1=0.8)
    _, baseline = lab.run("baseline", accuracy=0.85, latency_ms=300.0)
    reply = bot.command(
        "/experiment", "propose criteria:accuracy>=0.90,latency_ms<=500 Gradient boosting beats the baseline"
    )
    assert "EXP-1" in reply.text, reply.text
    reply = bot.command(
        "/experiment",
        f"evidence EXP-1 {lab.run_url(experiment_id, candidate)} baseline:runs:/{baseline}",
        user=OWNER,
    )
    assert ":white_check_mark: Linked. EXP-1's evidence in MLflow: <" in reply.text, reply.text
    assert "|run xgb> (candidate), <" in reply.text and "|run baseline> (baseline)." in reply.text
    review_ts = submit(bot)
    bot.delivered()
    text = _review_text(bot)
    # The candidate with the criteria's metrics and the baseline's values, linked into the UI.
    assert "run xgb> · candidate · finished" in text and "run baseline> · baseline · finished" in text
    assert "`accuracy` 0.85, `latency_ms` 300" in text  # the baseline itself, without deltas
    assert "`accuracy` 0.87 (baseline 0.85, +0.02)" in text
    assert "`latency_ms` 420 (baseline 300, +120)" in text
    assert f"/#/experiments/{experiment_id}/runs/{candidate}" in str(thread_reply(bot, "up for review")[1])
    assert "`accuracy&gt;=0.9`: 0.87 (run xgb)" in text and "`latency_ms&lt;=500`: 420 (run xgb)" in text
    assert ":x: `accuracy&gt;=0.9`" in text and ":white_check_mark: `latency_ms&lt;=500`" in text
    # The criteria decide the performance item: it is not a box to tick.
    review = thread_reply(bot, "up for review")[1]
    options = [o["value"] for b in review["blocks"] for o in (b.get("accessory") or {}).get("options", [])]
    assert COMPUTED_ITEM not in options and set(BY_HAND) <= set(options)
    for key in BY_HAND:
        bot.toggle(CHANNEL, review_ts, ids.CHECKLIST, key, user=OWNER)
    approve_reviews(bot, review_ts)
    bot.delivered()
    # All reviews approved and every box ticked, but accuracy misses its criterion.
    assert "EXP-1 · in review" in card_text(bot)
    refused = bot.command("/experiment", "promote EXP-1", user=OWNER)
    assert "criteria: accuracy 0.87 (needs &gt;=0.9)" in refused.text, refused.text

    # Training goes on: a better value is logged to the linked run after the submit.
    lab.client.log_metric(candidate, "accuracy", 0.93)
    run_once(bot.settings, bot.db, now=utcnow() + timedelta(minutes=16))
    bot.delivered()
    text = _review_text(bot)
    assert ":white_check_mark: `accuracy&gt;=0.9`: 0.93 (run xgb)" in text
    assert "`accuracy` 0.93 (baseline 0.85, +0.08)" in text
    # The approvals were given on 0.87: they went stale, and the reviewers look again.
    assert "the evidence changed (run xgb: accuracy 0.87 → 0.93)" in card_text(bot)
    assert "EXP-1 · in review" in card_text(bot)
    approve_reviews(bot, review_ts)
    bot.delivered()
    assert "EXP-1 · reviewed" in card_text(bot)
    with bot.db.read() as session:
        reads = session.exec(select(AuditEvent).where(AuditEvent.action == "evidence:read")).all()
    assert [r.detail for r in reads] == ["run xgb: accuracy 0.87 → 0.93"]


def test_an_unknown_run_or_an_unreachable_server_is_refused_with_nothing_stored(
    team: BotServer, lab: Lab
) -> None:
    bot = team
    bot.command("/experiment", "propose Gradient boosting beats the baseline")
    missing = "0123456789abcdef0123456789abcdef"
    reply = bot.command("/experiment", f"evidence EXP-1 runs:/{missing}", user=OWNER)
    assert f"Nothing was linked: MLflow has no run `{missing}`." in reply.text, reply.text
    assert reply.response_type == "ephemeral"
    reply = bot.command("/experiment", "evidence EXP-1 https://example.com/not/mlflow", user=OWNER)
    assert "is no MLflow run or model version page" in reply.text
    reply = bot.command("/experiment", "evidence EXP-1 baseline:models:/churn/3", user=OWNER)
    assert "A baseline is a run" in reply.text
    with bot.db.read() as session:
        assert session.exec(select(EvidenceLink)).all() == []
        assert not session.exec(select(AuditEvent).where(AuditEvent.action == "evidence:linked")).all()


def test_criteria_changed_after_submit_are_recorded_and_flagged(team: BotServer, lab: Lab) -> None:
    bot = team
    _, run = lab.run("xgb", accuracy=0.91)
    bot.command("/experiment", "propose Gradient boosting beats the baseline")
    bot.command("/experiment", f"evidence EXP-1 runs:/{run}", user=OWNER)
    bot.command("/experiment", "criteria EXP-1 accuracy >= 0.90", user=OWNER)
    submit(bot)
    reply = bot.command("/experiment", "criteria EXP-1 accuracy>=0.95", user=OWNER)
    assert (
        reply.text == ":white_check_mark: Success criteria of EXP-1:\n:x: `accuracy&gt;=0.95`: 0.91 (run xgb)"
    )
    again = bot.command("/experiment", f"evidence EXP-1 runs:/{run}", user=OWNER)
    assert again.text == ":information_source: That evidence is linked already.", again.text
    bot.delivered()
    text = _review_text(bot)
    assert ":x: `accuracy&gt;=0.95`: 0.91 (run xgb)" in text
    assert "Criteria changed after submit (was accuracy&gt;=0.9)" in text
    history = all_text(bot.command("/experiment", "history EXP-1", user=OWNER).json()["blocks"])
    assert "<@U_OWNER> success criteria: accuracy&gt;=0.9 → accuracy&gt;=0.95" in history, history
    assert "<@U_OWNER> linked evidence: linked candidate run xgb" in history, history


def _text(value: str) -> dict[str, Any]:
    return {ids.TEXT_INPUT: {"type": "plain_text_input", "value": value}}


def test_the_submit_form_links_the_evidence_and_submits_in_one_step(team: BotServer, lab: Lab) -> None:
    bot = team
    experiment_id, run = lab.run("xgb", accuracy=0.91)
    bot.command("/experiment", "propose criteria:accuracy>=0.9 Gradient boosting beats the baseline")
    bot.command("/experiment", "submit EXP-1", user=OWNER)
    view = bot.slack.wait_for("views.open")[0].args["view"]
    assert view["callback_id"] == ids.SUBMIT_MODAL
    values = {ids.ARTIFACTS_BLOCK: _text("eval report https://docs.example/eval")}
    # A link MLflow does not know: the form closes, nothing is linked or submitted, and the owner
    # is told why, privately.
    missing = "fedcba9876543210fedcba9876543210"
    reply = bot.submit_view(view, {**values, ids.EVIDENCE_BLOCK: _text(f"runs:/{missing}")}, user=OWNER)
    assert reply.status == 200 and not reply.body
    bot.settle()
    told = bot.slack.wait_for("chat.postEphemeral")[-1].args["text"]
    assert f"MLflow has no run `{missing}`" in told and "EXP-1 was not submitted" in told
    assert "EXP-1 · proposed" in card_text(bot)
    # A malformed link is answered in the form itself.
    reply = bot.submit_view(view, {**values, ids.EVIDENCE_BLOCK: _text("not a link")}, user=OWNER)
    assert reply.json()["response_action"] == "errors"
    assert "is not an MLflow run URL" in reply.json()["errors"][ids.EVIDENCE_BLOCK]
    # A good one: linked and submitted together.
    url = lab.run_url(experiment_id, run)
    bot.submit_view(view, {**values, ids.EVIDENCE_BLOCK: _text(url)}, user=OWNER)
    bot.delivered()
    assert "EXP-1 · in review" in card_text(bot)
    assert ":white_check_mark: `accuracy&gt;=0.9`: 0.91 (run xgb)" in _review_text(bot)


def test_the_propose_form_checks_the_criteria_in_the_form(bot: BotServer) -> None:
    bot.command("/experiment", "propose")
    view = bot.slack.wait_for("views.open")[0].args["view"]
    values = {
        ids.HYPOTHESIS_BLOCK: {
            ids.HYPOTHESIS_INPUT: {"type": "plain_text_input", "value": "Distillation halves cost"}
        },
        ids.WORKSTREAM_BLOCK: {
            ids.WORKSTREAM_INPUT: {"type": "static_select", "selected_option": {"value": "optimization"}}
        },
    }
    bad = {ids.CRITERIA_BLOCK: {ids.CRITERIA_INPUT: {"type": "plain_text_input", "value": "accuracy=>0.9"}}}
    reply = bot.submit_view(view, {**values, **bad}, user=OWNER)
    assert "is not `metric>=value`" in reply.json()["errors"][ids.CRITERIA_BLOCK]
    assert bot.slack.calls_to("chat.postMessage") == []
    good = {ids.CRITERIA_BLOCK: {ids.CRITERIA_INPUT: {"type": "plain_text_input", "value": "cost_usd <= 12"}}}
    bot.submit_view(view, {**values, **good}, user=OWNER)
    bot.delivered()
    show = all_text(bot.command("/experiment", "show EXP-1", user=OWNER).json()["blocks"])
    assert "`cost_usd&lt;=12`: no value yet" in show


def test_an_unreachable_server_is_named_in_one_line_with_nothing_stored(
    slack: FakeSlack, bot_db: Database
) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    bot = BotServer(slack, bot_db, mlflow_tracking_uri=dead).start()
    try:
        bot.command("/experiment", "propose Gradient boosting beats the baseline")
        reply = bot.command("/experiment", "evidence EXP-1 runs:/0123456789abcdef", user=OWNER)
        assert reply.text.startswith(":warning: Nothing was linked: MLflow did not answer (run"), reply.text
        assert len(reply.text.splitlines()) == 1
        with bot.db.read() as session:
            assert session.exec(select(EvidenceLink)).all() == []
    finally:
        bot.stop()
