"""The DMs an experiment's owner gets about it, and the answers to `/aiteam notify`."""

from __future__ import annotations

from bot.blocks import Message, context, message, section
from bot.text import channel_mention, escape, user_mention
from workflow import vocabulary as v
from workflow.delivery import News, OwnerNews
from workflow.experiments import ExperimentDetail

_WHAT = {
    News.REVIEWED: ":white_check_mark: *{ref}* is reviewed: all three reviews approved. Ask for the "
    "production sign-offs with `/experiment promote {ref}`.",
    News.CHANGES_REQUESTED: ":leftwards_arrow_with_hook: {who} requested changes to *{ref}*. Resubmit "
    "with `/experiment submit {ref} <artifacts>`.",
    News.REJECTED: ":no_entry: {who} rejected *{ref}*; it is closed.",
    News.STALE: ":warning: {who} changed the evidence of *{ref}* after decisions made on it; they no "
    "longer count and are asked again.",
    News.EXPIRED: ":hourglass: The sign-off request for *{ref}* closed unanswered. Ask again with "
    "`/experiment promote {ref}`.",
    News.PRODUCTION: ":rocket: *{ref}* is in production: all three sign-offs given.",
}

NOTIFY_OFF_HINT = "`/aiteam notify off` stops these DMs."


def owner_news_message(d: ExperimentDetail, news: OwnerNews) -> Message:
    e = d.experiment
    who = "The scheduler" if news.actor_id == v.SCHEDULER else user_mention(news.actor_id)
    text = _WHAT[news.news].format(ref=d.ref, who=who)
    blocks = [section(text)]
    if news.detail:
        blocks.append(section(f"> {escape(news.detail)}"))
    where = f"Its card is in {channel_mention(e.channel_id)}. " if e.channel_id else ""
    blocks.append(context(f"{where}`/experiment show {d.ref}` · {NOTIFY_OFF_HINT}"))
    return message(text.replace("*", ""), blocks)


_DMS = (
    "DMs about your experiments (reviews complete, changes requested, rejected, stale, expired, production)"
)


def notify_answer(on: bool, *, changed: bool) -> str:
    state = "on" if on else "off"
    if not changed:
        return f":information_source: {_DMS} were already {state}."
    if on:
        return f":bell: {_DMS} are on again."
    return (
        f":no_bell: {_DMS} are off; the card's thread still shows everything. "
        "`/aiteam notify on` turns them back on."
    )
