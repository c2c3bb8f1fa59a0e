"""The retro's flow chart, uploaded into its reminder's thread.

`files_upload_v2` has no idempotency key and no message metadata. The file's name is unique
per retro run, so a retry after an uncertain outcome (`check_posted`) looks in the thread for
a file of that name before uploading again. Nothing is recorded after the upload: the row being
done is the record.
"""

from __future__ import annotations

from bot.blocks.insights import figures
from bot.charts import render_png, stage_bars
from bot.delivery.senders.posting import SendContext, latest_messages
from bot.delivery.senders.registry import sends
from storage.models import Delivery
from workflow import reminders, schedules
from workflow.delivery import Kind

# Slack's limit on a file's alt text.
MAX_ALT_TEXT = 1000


def chart_filename(team_id: str, run_id: int) -> str:
    return f"team-flow-{team_id}-{run_id}.png"


@sends(Kind.RETRO_CHART)
def send_retro_chart(ctx: SendContext, row: Delivery) -> str | None:
    assert row.subject_id is not None
    with ctx.db.read() as session:
        chart = reminders.retro_chart(session, run_id=row.subject_id)
    if chart is None:
        return "no chart: the retro's reminder was not posted"
    bars = stage_bars(chart.flow)
    if not any(bar.n for bar in bars):
        return "no chart: no experiment finished a stage in this period"
    channel = chart.ceremony.channel_id
    filename = chart_filename(row.team_id, row.subject_id)
    if ctx.check_posted and _uploaded(ctx, channel=channel, thread_ts=chart.thread_ts, filename=filename):
        return None
    since = chart.flow.since
    title = "Time per stage" + (
        f" since {since.astimezone(schedules.zone(chart.ceremony.timezone)):%a %d %b}" if since else ""
    )
    alt = "; ".join(f"{stage.label}: {figures(spread)}" for stage, spread in chart.flow.stages)
    ctx.client.files_upload_v2(
        channel=channel,
        thread_ts=chart.thread_ts,
        file=render_png(bars, title=title),
        filename=filename,
        title=title,
        alt_txt=f"{title}. {alt}"[:MAX_ALT_TEXT],
    )
    return None


def _uploaded(ctx: SendContext, *, channel: str, thread_ts: str, filename: str) -> bool:
    """Whether the thread already shows a file named `filename` (an upload that did happen)."""
    messages = latest_messages(ctx, channel=channel, thread_ts=thread_ts) or []
    return any(f.get("name") == filename for m in messages for f in m.get("files") or [])
