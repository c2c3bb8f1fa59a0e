"""Calls to the ML platform that the workflow queued: re-reading an experiment's evidence, and
setting the promote alias in the registry. Like Slack calls, they happen after the ack, outside
any transaction, retried while MLflow is away."""

from __future__ import annotations

from bot.blocks.evidence import registry_notice, unfurl_missing, unfurl_of
from bot.delivery.senders.posting import NothingToSend, SendContext, post
from bot.delivery.senders.registry import sends
from mlplatform.client import Facts, Mlflow
from mlplatform.errors import NotFound, PlatformError, Unreachable
from mlplatform.links import LinkError, parse
from storage.models import Delivery
from workflow import links, registry
from workflow.delivery import Kind, RegistryNotice, UnfurlArgs, args_of


def _platform(ctx: SendContext) -> Mlflow:
    if ctx.mlflow is None:
        raise NothingToSend("MLFLOW_TRACKING_URI is not set")
    return ctx.mlflow


@sends(Kind.EVIDENCE_READ)
def send_evidence_read(ctx: SendContext, row: Delivery) -> str | None:
    mlflow = _platform(ctx)
    assert row.subject_id is not None
    with ctx.db.read() as session:
        asked = links.to_read(session, experiment_id=row.subject_id)
    if not asked:
        return "the experiment links nothing in MLflow"
    readings: dict[int, Facts | PlatformError] = {}
    for link_id, link in asked:
        try:
            readings[link_id] = mlflow.read(link)
        except PlatformError as error:
            readings[link_id] = error
    experiment_id = row.subject_id
    ctx.record(lambda session: links.record_reading(session, experiment_id=experiment_id, readings=readings))
    away = [r for r in readings.values() if isinstance(r, Unreachable)]
    if away:
        # Kept on the links (shown by `/experiment show`), and tried again with backoff.
        raise away[0]
    return None


@sends(Kind.REGISTRY_ALIAS)
def send_registry_alias(ctx: SendContext, row: Delivery) -> str | None:
    mlflow = _platform(ctx)
    alias = ctx.policy.promote_alias
    if not alias:
        raise NothingToSend("MLFLOW_PROMOTE_ALIAS is not set")
    assert row.subject_id is not None
    with ctx.db.read() as session:
        target = registry.alias_target(session, experiment_id=row.subject_id)
    if isinstance(target, str):
        raise NothingToSend(target)
    model, version = target
    mlflow.set_alias(model, alias, version)
    experiment_id, actor = row.subject_id, row.actor_id
    ctx.record(
        lambda session: registry.alias_set(
            session, experiment_id=experiment_id, model=model, version=version, alias=alias, actor_id=actor
        )
    )
    return None


@sends(Kind.REGISTRY_ALERT)
def send_registry_alert(ctx: SendContext, row: Delivery) -> str | None:
    alert = args_of(row)
    assert isinstance(alert, RegistryNotice) and row.channel_id is not None
    post(
        ctx,
        channel=row.channel_id,
        key=f"{row.team_id}:registry_alert:{row.id}",
        payload=registry_notice("", alert),
    )
    return None


@sends(Kind.UNFURL)
def send_unfurl(ctx: SendContext, row: Delivery) -> str | None:
    """Preview each MLflow run or model version link in a message (`chat.unfurl`)."""
    mlflow = _platform(ctx)
    asked = args_of(row)
    assert isinstance(asked, UnfurlArgs)
    unfurls = {}
    for url in asked.urls:
        try:
            unfurls[url] = unfurl_of(mlflow.read(parse(url)))
        except NotFound as error:
            unfurls[url] = unfurl_missing(str(error))
        except LinkError:
            continue
    if not unfurls:
        return "no MLflow link to preview"
    ctx.client.chat_unfurl(channel=asked.channel, ts=asked.ts, unfurls=unfurls)
    return None
