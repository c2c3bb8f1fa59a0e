"""An experiment's card and its thread: replies, one-off notices, nudges."""

from __future__ import annotations

from collections.abc import Callable

from bot.blocks import Message
from bot.blocks.bias_checks import check_message
from bot.blocks.ceremonies import nudge_message
from bot.blocks.experiments import card
from bot.blocks.learnings import learning_message, prompt_message
from bot.blocks.review import (
    decision_notice,
    deployment_message,
    resubmitted_notice,
    review_message,
    signoff_message,
)
from bot.blocks.standups import blocked_notice
from bot.delivery.senders.posting import NothingToSend, SendContext, post
from storage.models import BiasCheck, Delivery, Experiment, Learning
from workflow import (
    delivery,
    experiments,
    nudges,
    promotion,
)
from workflow.delivery import Notice
from workflow.experiments import ExperimentDetail, Slot


def _detail(ctx: SendContext, row: Delivery) -> ExperimentDetail:
    with ctx.db.read() as session:
        experiment = session.get(Experiment, row.subject_id)
        if experiment is None:
            raise NothingToSend("the experiment was deleted")
        return experiments.detail(session, experiment)


def _record(ctx: SendContext, experiment: Experiment, slot: Slot, ts: str) -> None:
    assert experiment.id is not None
    experiment_id = experiment.id
    ctx.record(
        lambda session: experiments.record_posted(session, experiment_id=experiment_id, slot=slot, ts=ts)
    )
    setattr(experiment, slot.value, ts)


def _key(experiment: Experiment, slot: Slot) -> str:
    return f"{experiment.team_id}:{experiment.id}:{slot.value}"


def _ensure_card(ctx: SendContext, d: ExperimentDetail) -> str:
    """The card's ts, posting the card first if it is not in the channel yet."""
    e = d.experiment
    assert e.channel_id is not None
    if e.message_ts is None:
        ts = post(ctx, channel=e.channel_id, key=_key(e, Slot.CARD), payload=card(d))
        _record(ctx, e, Slot.CARD, ts)
    assert e.message_ts is not None
    return e.message_ts


def _deployment(d: ExperimentDetail) -> Message:
    return deployment_message(promotion.deployment_plan(d))


REPLIES: dict[Slot, Callable[[ExperimentDetail], Message]] = {
    Slot.REVIEW: review_message,
    Slot.SIGNOFF: signoff_message,
    Slot.DEPLOYMENT: _deployment,
}


def send_experiment(ctx: SendContext, row: Delivery) -> str | None:
    """Post or update the card, then post or update each thread reply the experiment has reached."""
    d = _detail(ctx, row)
    e = d.experiment
    if e.channel_id is None:
        return "the experiment has no channel"
    posted_now = e.message_ts is None
    card_ts = _ensure_card(ctx, d)
    if not posted_now:
        ctx.client.chat_update(channel=e.channel_id, ts=card_ts, **card(d))
    due = d.replies_due()
    for slot, render in REPLIES.items():
        ts = getattr(e, slot.value)
        if ts is not None:
            ctx.client.chat_update(channel=e.channel_id, ts=ts, **render(d))
        elif slot in due:
            ts = post(ctx, channel=e.channel_id, key=_key(e, slot), payload=render(d), thread_ts=card_ts)
            _record(ctx, e, slot, ts)
    return None


def send_notice(ctx: SendContext, row: Delivery) -> str | None:
    d = _detail(ctx, row)
    e = d.experiment
    if e.channel_id is None:
        return "the experiment has no channel"
    args = delivery.args_of(row)
    if args.get("notice") == Notice.RESUBMITTED:
        payload = resubmitted_notice(d)
    elif args.get("notice") == Notice.LEARNING_PROMPT:
        payload = prompt_message(e)
    elif args.get("notice") == Notice.LEARNING:
        with ctx.db.read() as session:
            learning = session.get(Learning, int(args["learning_id"]))
            if learning is None:
                return "the learning was deleted"
            payload = learning_message(learning, e)
    elif args.get("notice") == Notice.BIAS_CHECK:
        with ctx.db.read() as session:
            check = session.get(BiasCheck, int(args["check_id"]))
            if check is None:
                return "the bias check was deleted"
            payload = check_message(check, e)
    elif args.get("notice") == Notice.BLOCKED:
        payload = blocked_notice(e, user_id=args["actor_id"], blockers=args["blockers"])
    else:
        payload = decision_notice(d, actor_id=args["actor_id"], what=args["what"], reason=args["reason"])
    card_ts = _ensure_card(ctx, d)
    post(ctx, channel=e.channel_id, key=f"{e.team_id}:notice:{row.id}", payload=payload, thread_ts=card_ts)
    return None


def send_nudge(ctx: SendContext, row: Delivery) -> str | None:
    assert row.subject_id is not None
    with ctx.db.read() as session:
        nudge = nudges.build(
            session,
            experiment_id=row.subject_id,
            now=ctx.now,
            admin_user_ids=ctx.config.admin_user_ids,
            timezone=ctx.config.timezone,
        )
    if nudge is None:
        return "the experiment no longer waits on anyone"
    e = nudge.experiment
    if e.channel_id is None or e.message_ts is None:
        return "the experiment has no card to reply in"
    post(
        ctx,
        channel=e.channel_id,
        key=f"{e.team_id}:nudge:{row.id}",
        payload=nudge_message(nudge),
        thread_ts=e.message_ts,
    )
    return None
