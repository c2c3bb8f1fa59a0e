"""An experiment's card and its thread: replies, one-off notices, nudges."""

from __future__ import annotations

from collections.abc import Callable

from bot.blocks import Message
from bot.blocks.bias_checks import check_message
from bot.blocks.ceremonies import nudge_message
from bot.blocks.evidence import registry_notice
from bot.blocks.experiments import card
from bot.blocks.learnings import learning_message, prompt_message
from bot.blocks.review import (
    decision_notice,
    deployment_message,
    expired_notice,
    resubmitted_notice,
    review_message,
    signoff_message,
    stale_notice,
)
from bot.blocks.standups import blocked_notice
from bot.delivery.senders.posting import NothingToSend, SendContext, keep, post, sent
from bot.delivery.senders.registry import sends
from storage.models import BiasCheck, Delivery, Experiment, Learning
from workflow import (
    delivery,
    experiments,
    nudges,
    promotion,
)
from workflow.delivery import (
    BiasChecked,
    Blocked,
    Decided,
    Kind,
    LearningPrompt,
    LearningRecorded,
    NudgeArgs,
    RegistryNotice,
    RequestExpired,
    Resubmitted,
    WentStale,
)
from workflow.experiments import ExperimentDetail, Slot
from workflow.permissions import Policy


def _detail(ctx: SendContext, row: Delivery) -> ExperimentDetail:
    return _detail_and_sent(ctx, row, with_sent=False)[0]


def _detail_and_sent(
    ctx: SendContext, row: Delivery, *, with_sent: bool = True
) -> tuple[ExperimentDetail, dict[str, str]]:
    """The experiment as it is now, and what was last sent into its messages."""
    assert row.subject_id is not None
    with ctx.db.read() as session:
        d = experiments.detail_of(session, row.subject_id)
        if d is None:
            raise NothingToSend("the experiment was deleted")
        experiment = d.experiment
        known: dict[str, str] = {}
        if with_sent and experiment.channel_id is not None:
            posted = [getattr(experiment, slot.value) for slot in Slot]
            known = sent(session, team_id=experiment.team_id, channel=experiment.channel_id, ts=posted)
        return d, known


def _key(experiment: Experiment, slot: Slot) -> str:
    return f"{experiment.team_id}:{experiment.id}:{slot.value}"


def _keep(
    ctx: SendContext,
    d: ExperimentDetail,
    slot: Slot,
    payload: Message,
    known: dict[str, str],
    *,
    thread_ts: str | None = None,
) -> str:
    """Post the slot's message, or bring it up to date if its render changed; its ts."""
    e = d.experiment
    assert e.channel_id is not None and e.id is not None
    experiment_id = e.id

    def posted(ts: str) -> None:
        ctx.record(
            lambda session: experiments.record_posted(session, experiment_id=experiment_id, slot=slot, ts=ts)
        )
        setattr(e, slot.value, ts)

    return keep(
        ctx,
        team_id=e.team_id,
        channel=e.channel_id,
        key=_key(e, slot),
        payload=payload,
        ts=getattr(e, slot.value),
        known=known,
        thread_ts=thread_ts,
        posted=posted,
    )


def _ensure_card(ctx: SendContext, d: ExperimentDetail) -> str:
    """The card's ts, posting the card first if it is not in the channel yet."""
    if d.experiment.message_ts is not None:
        return d.experiment.message_ts
    return _keep(ctx, d, Slot.CARD, card(d), {})


def _deployment(d: ExperimentDetail, policy: Policy) -> Message:
    return deployment_message(promotion.deployment_plan(d, promote_alias=policy.promote_alias))


REPLIES: dict[Slot, Callable[[ExperimentDetail, Policy], Message]] = {
    Slot.REVIEW: lambda d, _policy: review_message(d),
    Slot.SIGNOFF: lambda d, _policy: signoff_message(d),
    Slot.DEPLOYMENT: _deployment,
}


@sends(Kind.EXPERIMENT)
def send_experiment(ctx: SendContext, row: Delivery) -> str | None:
    """Post or update the card, then post or update each thread reply the experiment has reached;
    a message whose render did not change since it was last sent is left alone."""
    d, known = _detail_and_sent(ctx, row)
    e = d.experiment
    if e.channel_id is None:
        return "the experiment has no channel"
    card_ts = _keep(ctx, d, Slot.CARD, card(d), known)
    due = d.replies_due()
    for slot, render in REPLIES.items():
        if getattr(e, slot.value) is not None or slot in due:
            _keep(ctx, d, slot, render(d, ctx.policy), known, thread_ts=card_ts)
    return None


@sends(Kind.NOTICE)
def send_notice(ctx: SendContext, row: Delivery) -> str | None:
    d = _detail(ctx, row)
    e = d.experiment
    if e.channel_id is None:
        return "the experiment has no channel"
    payload: Message
    match delivery.args_of(row):
        case Resubmitted():
            payload = resubmitted_notice(d)
        case LearningPrompt():
            payload = prompt_message(e)
        case LearningRecorded(learning_id=learning_id):
            with ctx.db.read() as session:
                learning = session.get(Learning, learning_id)
                if learning is None:
                    return "the learning was deleted"
                payload = learning_message(learning, e)
        case BiasChecked(check_id=check_id):
            with ctx.db.read() as session:
                check = session.get(BiasCheck, check_id)
                if check is None:
                    return "the bias check was deleted"
                payload = check_message(check, e)
        case Blocked(actor_id=actor_id, blockers=blockers):
            payload = blocked_notice(e, user_id=actor_id, blockers=blockers)
        case Decided(actor_id=actor_id, reason=reason) as decided:
            payload = decision_notice(d, actor_id=actor_id, what=decided.what, reason=reason)
        case RequestExpired(why=why):
            payload = expired_notice(d, why=why)
        case WentStale(actor_id=actor_id, people=people, summary=summary):
            payload = stale_notice(d, actor_id=actor_id, people=people, summary=summary)
        case RegistryNotice() as news:
            payload = registry_notice(d.ref, news)
        case other:
            raise TypeError(f"a notice row carries {other!r}")
    card_ts = _ensure_card(ctx, d)
    post(ctx, channel=e.channel_id, key=f"{e.team_id}:notice:{row.id}", payload=payload, thread_ts=card_ts)
    return None


@sends(Kind.NUDGE)
def send_nudge(ctx: SendContext, row: Delivery) -> str | None:
    assert row.subject_id is not None
    args = delivery.args_of(row)
    assert isinstance(args, NudgeArgs)
    with ctx.db.read() as session:
        nudge = nudges.build(
            session,
            experiment_id=row.subject_id,
            now=ctx.now,
            admin_user_ids=ctx.config.admin_user_ids,
            timezone=ctx.config.timezone,
            claimed_at=args.claimed_at,
            escalate_to=ctx.config.escalate_to,
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
