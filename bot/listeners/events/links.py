"""`link_shared`: an MLflow run or model version link posted in Slack is queued for a preview.

Slack sends the event only for the domains listed under `unfurl_domains` in the manifest. The
listener reads nothing from MLflow: it keeps the links MLflow's UI would answer and queues
their preview in one short transaction; the delivery worker reads MLflow and calls
`chat.unfurl`.
"""

from __future__ import annotations

from typing import Any

from bot.services import services_of
from mlplatform.links import find_urls
from workflow import delivery
from workflow.delivery import UnfurlArgs

# Each link is one MLflow read when the preview is sent: a message pasting a list of runs
# previews its first few.
MAX_LINKS = 5


def link_shared(event: dict[str, Any], context: Any) -> None:
    services = services_of(context)
    if not services.settings.mlflow_enabled:
        return
    # A link still being typed (`source: composer`) has no message to attach a preview to by
    # channel and ts; Slack sends the event again once the message is posted.
    if event.get("source") == "composer":
        return
    urls: list[str] = []
    for shared in event.get("links") or []:
        for url in find_urls(str(shared.get("url") or "")):
            if url not in urls:
                urls.append(url)
    channel, ts = event.get("channel"), event.get("message_ts")
    if not (urls and channel and ts):
        return
    team_id = context.get("team_id")
    with services.db.session() as session:
        delivery.unfurl(
            session,
            team_id=team_id,
            links=UnfurlArgs(channel=channel, ts=ts, urls=tuple(urls[:MAX_LINKS])),
        )
