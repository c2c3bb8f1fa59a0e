"""`/experiment submit|promote|withdraw|metric|criteria|evidence`: the steps through the lifecycle."""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session

from bot import mlflow_links
from bot.blocks.evidence import criteria_confirmation, linked_confirmation
from bot.blocks.experiments import submit_modal
from bot.blocks.review import missing_text, step_confirmation
from bot.listeners.commands.router import CommandRequest
from mlplatform.client import Mlflow
from workflow import experiments, links, metrics, promotion, review, success
from workflow.errors import InvalidInput, NotReady
from workflow.experiments import ExperimentDetail
from workflow.outcome import Outcome


def _ref_and_rest(request: CommandRequest, usage: str) -> tuple[int, str]:
    ref, _, rest = request.rest.partition(" ")
    if not ref:
        raise InvalidInput(f"Say which experiment: `{usage}`.")
    return experiments.parse_ref(ref), rest.strip()


def _run(
    request: CommandRequest,
    step: Callable[[Session], Outcome],
    confirm: Callable[[ExperimentDetail, Outcome], str] = step_confirmation,
) -> Outcome:
    """Run the step (which queues the card's update) and confirm it privately."""
    with request.services.db.session() as session:
        outcome = step(session)
        detail = experiments.detail(session, outcome.experiment)
    request.reply(confirm(detail, outcome))
    return outcome


def submit(request: CommandRequest) -> None:
    number, artifacts = _ref_and_rest(request, "/experiment submit EXP-1 <artifact links or notes>")
    if not artifacts:
        # No artifacts typed: the form asks for them, and for the evidence in MLflow.
        with request.services.db.read() as session:
            review.check_submit(session, team_id=request.team_id, number=number, actor_id=request.user_id)
        request.later(lambda later: _open_submit_form(later, number))
        return
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


def _open_submit_form(request: CommandRequest, number: int) -> None:
    request.client.views_open(
        trigger_id=request.trigger_id, view=submit_modal(number=number, channel_id=request.channel_id)
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


def criteria(request: CommandRequest) -> None:
    usage = "/experiment criteria EXP-1 accuracy>=0.90 latency_ms<=500"
    number, rest = _ref_and_rest(request, usage)
    if not rest:
        raise InvalidInput(f"Give the criteria, e.g. `{usage}`, or `none` to clear them.")
    _run(
        request,
        lambda session: success.declare(
            session, team_id=request.team_id, number=number, actor_id=request.user_id, text=rest
        ),
        criteria_confirmation,
    )


def evidence(request: CommandRequest) -> None:
    number, rest = _ref_and_rest(request, "/experiment evidence EXP-1 <MLflow run or model version>")
    asked = links.parse_request(rest.split())
    mlflow = request.services.mlflow
    if mlflow is None:
        raise InvalidInput(mlflow_links.NOT_CONNECTED)
    with request.services.db.read() as session:
        links.check_may_link(session, team_id=request.team_id, number=number, actor_id=request.user_id)
    # MLflow is asked after the ack: it may take longer than Slack's 3 s.
    request.later(lambda later: _link(later, number, asked, mlflow))


def _link(request: CommandRequest, number: int, asked: list[links.Asked], mlflow: Mlflow) -> None:
    found = mlflow_links.read(mlflow, asked)
    _run(
        request,
        lambda session: links.link(
            session, team_id=request.team_id, number=number, actor_id=request.user_id, found=found
        ),
        linked_confirmation,
    )
