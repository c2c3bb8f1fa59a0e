"""The review message's buttons and checklist, and the sign-off message's buttons."""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session

from bot import ids
from bot.blocks.review import reason_modal
from bot.listeners.actions.click import STALE_BUTTON, Click, perform
from bot.listeners.actions.modals import open_modal
from bot.text import escape
from storage.models import Experiment
from workflow import experiments, promotion, review
from workflow import vocabulary as v
from workflow.errors import WorkflowError
from workflow.refs import Subject
from workflow.vocabulary import Decision

REASON_PROMPTS = {
    Decision.REQUEST_CHANGES: ("Request changes", "What should the owner change in {ref} ({kind} review)?"),
    Decision.REJECT: (
        "Reject experiment",
        "Why is {ref} rejected ({kind})? The owner and the thread will see this.",
    ),
}


def approve_review(click: Click) -> None:
    perform(
        click,
        lambda session: review.decide(
            session,
            team_id=click.team_id,
            number=click.ref_of(Subject.EXPERIMENT).id,
            kind=click.arg,
            decision=Decision.APPROVE,
            actor_id=click.user_id,
            policy=click.services.policy,
        ),
    )


def toggle_checklist(click: Click) -> None:
    # The block id names the experiment; the difference between what the clicker saw and what
    # Slack now reports is what they clicked, so a stale message never undoes someone else's tick.
    block_id = click.action["block_id"]
    selected = {o["value"] for o in click.action.get("selected_options") or []}
    shown: set[str] = set()
    for block in click.message.get("blocks") or []:
        if block.get("block_id") == block_id:
            shown = {o["value"] for o in (block.get("accessory") or {}).get("initial_options") or []}
    perform(
        click,
        lambda session: review.tick(
            session,
            team_id=click.team_id,
            number=click.ref_of(Subject.EXPERIMENT).id,
            actor_id=click.user_id,
            ticked=selected - shown,
            unticked=shown - selected,
        ),
        redraw_on_refusal=True,
    )


def approve_signoff(click: Click) -> None:
    perform(
        click,
        lambda session: promotion.sign_off(
            session,
            team_id=click.team_id,
            number=click.ref_of(Subject.EXPERIMENT).id,
            role=click.arg,
            actor_id=click.user_id,
            policy=click.services.policy,
            request=click.message.get("ts"),
        ),
    )


Check = Callable[[Session, Experiment], object]


def _ask_reason(click: Click, *, kind: v.Gate, decision: Decision, check: Check) -> None:
    """Refuse at once if the clicker may not decide; otherwise open the modal asking why."""
    try:
        number = click.ref_of(Subject.EXPERIMENT).id
        with click.services.db.read() as session:
            check(session, experiments.get(session, team_id=click.team_id, number=number))
    except WorkflowError as error:
        click.tell(f":warning: {escape(error.message)}")
        return
    title, label = REASON_PROMPTS[decision]
    metadata = ids.ReasonMeta(number, kind, decision, click.channel_id)
    view = reason_modal(
        title=title,
        label=label.format(ref=experiments.ref(number), kind=kind.replace("_", " ")),
        metadata=metadata,
    )
    click.later(lambda: open_modal(click, view))


def _review_reason(decision: Decision) -> Callable[[Click], None]:
    def handler(click: Click) -> None:
        kind = v.parse(v.ReviewKind, click.arg)
        if kind is None:
            click.tell(f":warning: {STALE_BUTTON}")
            return
        _ask_reason(
            click,
            kind=kind,
            decision=decision,
            check=lambda session, e: review.check_decision(
                session,
                e,
                kind=kind,
                decision=decision,
                actor_id=click.user_id,
                policy=click.services.policy,
            ),
        )

    return handler


request_changes = _review_reason(Decision.REQUEST_CHANGES)
reject_review = _review_reason(Decision.REJECT)


def reject_signoff(click: Click) -> None:
    _ask_reason(
        click,
        kind=v.SignOff.SIGN_OFF,
        decision=Decision.REJECT,
        check=lambda session, e: promotion.check_reject_promotion(
            session, e, actor_id=click.user_id, policy=click.services.policy
        ),
    )
