"""The retro reminder's flow line and its chart, end to end: a scheduler pass at the retro's time
against the fake Slack, on both databases. The team's audit trail is written with chosen times;
the reminder opens with the line, and the chart's upload (files_upload_v2's three calls) lands in
the reminder's thread, once, even when the delivery is retried."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from sqlmodel import select

from bot import ids
from bot.charts import PNG_SIGNATURE
from bot.delivery.senders import SendContext
from bot.delivery.senders.charts import send_retro_chart
from bot.runtime import worker_config
from bot.scheduler import run_once
from bot.slack import make_delivery_client
from storage.models import AuditEvent, Delivery, Experiment
from tests.bot.listeners.scheduled import Tick
from tests.fakeslack import TEAM_ID
from tests.harness import BotServer, all_text
from workflow import ceremonies
from workflow import vocabulary as v
from workflow.delivery import Kind

CHANNEL = "C0TEAM"
RETRO = datetime.fromisoformat("2026-11-27T16:00:00+00:00")  # a Friday
DAY = timedelta(days=1)


@pytest.fixture(autouse=True)
def retro(bot: BotServer) -> None:
    bot.slack.add_channel(CHANNEL, "team")
    with bot.db.session() as session:
        ceremonies.add(
            session,
            team_id=TEAM_ID,
            actor_id="UCAT",
            name="retro",
            channel_id=CHANNEL,
            schedule_tokens=["biweekly", "fri", "16:00", "UTC"],
            default_timezone="UTC",
            now=RETRO - DAY,
        )
        found = ceremonies.get(session, team_id=TEAM_ID, name="retro")
        found.kind = ceremonies.RETROSPECTIVE
        session.add(found)


def _ship(bot: BotServer, number: int, proposed: datetime, stages: tuple[int, int, int, int]) -> None:
    """EXP-`number` walked to production; `stages` in days; its ethics review took 2 days, the
    technical one 1."""
    a, b, c, d = (s * DAY for s in stages)
    submitted = proposed + a
    trail = [
        (v.AuditAction.PROPOSED, proposed, "U_OWNER", None),
        (
            v.Step.status(v.Status.IN_REVIEW),
            submitted,
            "U_OWNER",
            v.transition_detail(v.Status.PROPOSED, v.Status.IN_REVIEW),
        ),
        (v.Step.review("technical"), submitted + DAY, "UTECH", "approved"),
        (v.Step.review("ethics"), submitted + 2 * DAY, "UETHICS", "approved"),
        (v.Step.status(v.Status.REVIEWED), submitted + b, "UETHICS", None),
        (v.Step.status(v.Status.APPROVED), submitted + b + c, "U_OWNER", None),
        (v.Step.status(v.Status.PRODUCTION), submitted + b + c + d, "ULEAD", None),
    ]
    with bot.db.session() as session:
        experiment = Experiment(
            team_id=TEAM_ID,
            number=number,
            hypothesis=f"Idea {number}",
            workstream="experimentation",
            owner_id="U_OWNER",
            status=v.Status.PRODUCTION,
            timeline_weeks=2,
        )
        session.add(experiment)
        session.flush()
        for action, at, actor, detail in trail:
            session.add(
                AuditEvent(
                    team_id=TEAM_ID,
                    experiment_id=experiment.id,
                    actor_id=actor,
                    action=action,
                    detail=detail,
                    created_at=at,
                )
            )


def _reminder(bot: BotServer) -> dict:
    (found,) = [
        m
        for (channel, _), m in bot.slack.messages.items()
        if channel == CHANNEL and not m.get("thread_ts") and ids.ADD_NOTE in json.dumps(m.get("blocks"))
    ]
    return found


def test_the_retro_opens_with_the_flow_line_and_the_chart_lands_in_its_thread(
    bot: BotServer, tick: Tick
) -> None:
    # Reaching production within the fortnight before the first retro, in 9, 11 and 15 days.
    start = RETRO - 16 * DAY
    _ship(bot, 1, start, (1, 3, 1, 4))
    _ship(bot, 2, start, (2, 4, 1, 4))
    _ship(bot, 3, start, (3, 6, 2, 4))
    tick(RETRO)

    reminder = _reminder(bot)
    text = all_text(reminder["blocks"])
    line = (
        ":bar_chart: *Since Fri 13 Nov:* 3 shipped · median 11 days to production · "
        "reviews waited 1.5 days (ethics slowest)"
    )
    assert line in text
    # The line opens the reminder, right under its invitation.
    assert reminder["blocks"][2]["text"]["text"] == line

    # files_upload_v2: an upload URL, the bytes posted to it, then the share into the thread.
    (asked,) = bot.slack.calls_to("files.getUploadURLExternal")
    assert asked.args["filename"] == f"team-flow-{TEAM_ID}-1.png"
    (uploaded,) = bot.slack.calls_to("upload")
    (completed,) = bot.slack.calls_to("files.completeUploadExternal")
    assert completed.args["channel_id"] == CHANNEL
    assert completed.args["thread_ts"] == reminder["ts"]
    (chart,) = bot.slack.shared_files(CHANNEL, reminder["ts"])
    assert chart["content"].startswith(PNG_SIGNATURE) and len(chart["content"]) == uploaded.args["size"]
    assert chart["title"] == "Time per stage since Fri 13 Nov"
    (in_thread,) = bot.slack.thread(CHANNEL, reminder["ts"])
    assert in_thread["files"][0]["name"] == f"team-flow-{TEAM_ID}-1.png"

    # A retry after an uncertain outcome finds the upload in the thread and uploads nothing.
    with bot.db.read() as session:
        (row,) = session.exec(select(Delivery).where(Delivery.kind == Kind.RETRO_CHART)).all()
    config = worker_config(bot.settings)
    retry = SendContext(
        client=make_delivery_client(bot.settings),
        db=bot.db,
        config=config.tick,
        policy=config.policy,
        now=RETRO + timedelta(minutes=1),
        check_posted=True,
    )
    assert send_retro_chart(retry, row) is None
    assert len(bot.slack.calls_to("files.getUploadURLExternal")) == 1


def test_with_too_few_samples_the_line_says_so_and_no_stage_is_timed(bot: BotServer, tick: Tick) -> None:
    _ship(bot, 1, RETRO - 12 * DAY, (1, 3, 1, 4))
    tick(RETRO)
    text = all_text(_reminder(bot)["blocks"])
    assert (
        "1 shipped · time to production: not enough data (n=1) · review wait: not enough data (n=2)" in text
    )
    # The chart still goes up: each stage labelled with its count, none with a bar.
    (chart,) = bot.slack.shared_files(CHANNEL)
    assert chart["content"].startswith(PNG_SIGNATURE)


def test_a_quiet_fortnight_gets_the_line_but_no_chart(bot: BotServer, tick: Tick) -> None:
    tick(RETRO)
    text = all_text(_reminder(bot)["blocks"])
    assert "0 shipped · time to production: not enough data (n=0)" in text
    assert bot.slack.calls_to("files.getUploadURLExternal") == []
    with bot.db.read() as session:
        (row,) = session.exec(select(Delivery).where(Delivery.kind == Kind.RETRO_CHART)).all()
        assert row.state == "delivered"  # nothing to chart is not a failure


def test_the_pass_only_queues_the_chart_behind_its_reminder(bot: BotServer) -> None:
    _ship(bot, 1, RETRO - 12 * DAY, (1, 3, 1, 4))
    run_once(bot.settings, bot.db, now=RETRO)
    # Nothing is drawn or sent by the pass: the delivery worker does that, after the reminder.
    assert bot.slack.calls_to("files.getUploadURLExternal") == []
    with bot.db.read() as session:
        reminder, chart = session.exec(select(Delivery).order_by(Delivery.id)).all()
    assert (reminder.kind, chart.kind) == (Kind.REMINDER, Kind.RETRO_CHART)
    assert chart.stream == reminder.stream and chart.state == reminder.state == "pending"
    assert chart.subject_id == reminder.subject_id
