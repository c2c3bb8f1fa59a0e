"""`/experiment submit|promote|withdraw|metric`: the owner's steps through the lifecycle."""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session

from bot.blocks.review import missing_text, step_confirmation
from bot.listeners.commands.router import CommandRequest
from workflow import experiments, metrics, promotion, review
from workflow.errors import InvalidInput, NotReady
from workflow.outcome import Outcome


def _ref_and_rest(request: CommandRequest, usage: str) -> tuple[int, str]:
    ref, _, rest = request.rest.partition(" ")
    if not ref:
        raise InvalidInput(f"Say which experiment: `{usage}`.")
    return experiments.parse_ref(ref), rest.strip()


def _run(request: CommandRequest, step: Callable[[Session], Outcome]) -> Outcome:
    """Run the step (which queues the card's update) and confirm it privately."""
    with request.services.db.session() as session:
        outcome = step(session)
        detail = experiments.detail(session, outcome.experiment)
    request.reply(step_confirmation(detail, outcome))
    return outcome


def submit(request: CommandRequest) -> None:
    number, artifacts = _ref_and_rest(request, "/experiment submit EXP-1 <artifact links or notes>")
    _run(
        request,
        lambda session: review.submit(
            session,
            team_id=request.team_id,
            number=number,
            actor_id=request.user_id,
            artifacts=artifacts,
        ),
    )


def promote(request: CommandRequest) -> None:
    number, extra = _ref_and_rest(request, "/experiment promote EXP-1")
    if extra:
        raise InvalidInput(
            "`/experiment promote` takes only the experiment id, e.g. `/experiment promote EXP-1`."
        )
    try:
        _run(
            request,
            lambda session: promotion.promote(
                session, team_id=request.team_id, number=number, actor_id=request.user_id
            ),
        )
    except NotReady as error:
        request.reply(missing_text(experiments.ref(number), error.missing))


def withdraw(request: CommandRequest) -> None:
    number, reason = _ref_and_rest(request, "/experiment withdraw EXP-1 [reason]")
    _run(
        request,
        lambda session: review.withdraw(
            session, team_id=request.team_id, number=number, actor_id=request.user_id, reason=reason
        ),
    )


def metric(request: CommandRequest) -> None:
    number, rest = _ref_and_rest(request, "/experiment metric EXP-1 accuracy=0.91 latency_ms=420")
    values = metrics.parse_metrics(rest.split())
    _run(
        request,
        lambda session: metrics.record(
            session, team_id=request.team_id, number=number, actor_id=request.user_id, values=values
        ),
    )
