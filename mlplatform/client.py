"""Reading and writing the tracking server and model registry with MLflow's own client.

MLflow's client (`mlflow-skinny`, the `[mlflow]` extra) brings MLflow's authentication as its
users know it: `MLFLOW_TRACKING_TOKEN`, `MLFLOW_TRACKING_USERNAME`/`_PASSWORD`, and `databricks`
URIs with their profiles. It is imported only when an MLflow call is made, so the bot runs
without it when the integration is off.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

from mlplatform.errors import NotConfigured, NotFound, PlatformError, Refused, Unreachable
from mlplatform.links import Link, LinkKind, ui_url

T = TypeVar("T")

# MLflow's client retries a failed request 7 times with backoff by default: minutes of silence
# before a person hears that the server is down. The bot retries through its own queue instead.
# Set these variables yourself to override.
CLIENT_DEFAULTS = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "1", "MLFLOW_HTTP_REQUEST_TIMEOUT": "10"}

# What the payloads of MLflow's webhooks need, registered by `python -m bot mlflow webhook`.
WEBHOOK_EVENTS = (
    "model_version.created",
    "model_version_tag.set",
    "model_version_alias.created",
    "model_version_alias.deleted",
)


@dataclass(frozen=True)
class RunFacts:
    run_id: str
    name: str
    status: str  # RUNNING, FINISHED, FAILED, KILLED
    experiment_id: str
    metrics: dict[str, float] = field(default_factory=dict)  # each metric's latest value
    url: str | None = None  # its page in the MLflow UI


@dataclass(frozen=True)
class VersionFacts:
    model: str
    version: str
    status: str  # READY, PENDING_REGISTRATION, FAILED_REGISTRATION
    run_id: str | None
    aliases: tuple[str, ...] = ()
    url: str | None = None  # its page in the MLflow UI


@dataclass(frozen=True)
class WebhookFacts:
    webhook_id: str
    name: str
    url: str
    status: str
    events: tuple[str, ...]


Facts = RunFacts | VersionFacts


class Mlflow:
    """One tracking server (and its registry), at `tracking_uri`."""

    def __init__(self, tracking_uri: str) -> None:
        if not tracking_uri:
            raise NotConfigured("MLFLOW_TRACKING_URI is not set")
        self.tracking_uri = tracking_uri
        self._client: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            for name, value in CLIENT_DEFAULTS.items():
                os.environ.setdefault(name, value)
            try:
                from mlflow import MlflowClient
            except ImportError:
                raise NotConfigured(
                    'MLflow\'s client is not installed: pip install "ai-team-bot[mlflow]"'
                ) from None
            self._client = MlflowClient(tracking_uri=self.tracking_uri, registry_uri=self.tracking_uri)
        return self._client

    def run(self, run_id: str) -> RunFacts:
        run = _call(lambda: self.client.get_run(run_id), f"run `{run_id}`")
        experiment_id = str(run.info.experiment_id)
        return RunFacts(
            run_id=run.info.run_id,
            name=run.info.run_name or run.info.run_id[:8],
            status=str(run.info.status),
            experiment_id=experiment_id,
            metrics={str(k): float(v) for k, v in run.data.metrics.items()},
            url=self.ui_url(Link(LinkKind.RUN, run_id=run.info.run_id), experiment_id=experiment_id),
        )

    def ui_url(self, link: Link, *, experiment_id: str | None = None) -> str | None:
        """The page of `link` in the MLflow UI; None when the tracking URI is no web address
        (`databricks` profiles name a host only in their configuration)."""
        if not self.tracking_uri.startswith(("http://", "https://")):
            return None
        return ui_url(self.tracking_uri, link, experiment_id=experiment_id)

    def version(self, model: str, version: str) -> VersionFacts:
        found = _call(
            lambda: self.client.get_model_version(model, version), f"model version `{model}/{version}`"
        )
        return self._version_facts(found)

    def version_by_alias(self, model: str, alias: str) -> VersionFacts:
        found = _call(
            lambda: self.client.get_model_version_by_alias(model, alias), f"alias `{model}@{alias}`"
        )
        return self._version_facts(found)

    def read(self, link: Link) -> Facts:
        """What MLflow says of `link` now; an alias is read as the version it names now."""
        if link.kind == LinkKind.RUN:
            assert link.run_id
            return self.run(link.run_id)
        assert link.model
        if link.version:
            return self.version(link.model, link.version)
        assert link.alias
        return self.version_by_alias(link.model, link.alias)

    def set_alias(self, model: str, alias: str, version: str) -> None:
        _call(
            lambda: self.client.set_registered_model_alias(model, alias, version),
            f"model version `{model}/{version}`",
        )

    def webhooks(self) -> list[WebhookFacts]:
        """Every webhook on the server, page by page."""
        found: list[Any] = []
        token: str | None = None
        while True:
            page = _call(partial(self.client.list_webhooks, page_token=token), "the webhooks")
            found += list(page)
            token = getattr(page, "token", None)
            if not token:
                return [_webhook_facts(w) for w in found]

    def create_webhook(self, *, name: str, url: str, secret: str, events: Sequence[str]) -> WebhookFacts:
        made = _call(
            lambda: self.client.create_webhook(name=name, url=url, events=list(events), secret=secret),
            "registering the webhook",
        )
        return _webhook_facts(made)

    def update_webhook(
        self, webhook_id: str, *, url: str, secret: str, events: Sequence[str]
    ) -> WebhookFacts:
        made = _call(
            lambda: self.client.update_webhook(
                webhook_id=webhook_id, url=url, events=list(events), secret=secret, status="ACTIVE"
            ),
            "updating the webhook",
        )
        return _webhook_facts(made)

    def _version_facts(self, found: Any) -> VersionFacts:
        model, version = str(found.name), str(found.version)
        return VersionFacts(
            model=model,
            version=version,
            status=str(found.status),
            run_id=str(found.run_id) if found.run_id else None,
            aliases=tuple(sorted(str(a) for a in (found.aliases or ()))),
            url=self.ui_url(Link(LinkKind.MODEL_VERSION, model=model, version=version)),
        )

    def check(self) -> str:
        """One read that needs the credentials: raises what a real call would."""
        found = _call(lambda: self.client.search_experiments(max_results=1), "experiments")
        return f"{len(found)} experiment(s) readable"


def _webhook_facts(found: Any) -> WebhookFacts:
    return WebhookFacts(
        webhook_id=str(found.webhook_id),
        name=str(found.name),
        url=str(found.url),
        status=str(found.status),
        events=tuple(sorted(f"{e.entity}.{e.action}" for e in found.events)),
    )


def _call(call: Callable[[], T], what: str) -> T:
    """Run one client call, its failure turned into NotFound, Refused or Unreachable."""
    try:
        return call()
    except PlatformError:
        raise
    except Exception as error:
        raise _classify(error, what) from error


def _classify(error: Exception, what: str) -> PlatformError:
    code = str(getattr(error, "error_code", "") or "")
    status = _http_status(error)
    # An unknown alias comes back as INVALID_PARAMETER_VALUE, not as a 404.
    unknown_alias = what.startswith("alias") and code == "INVALID_PARAMETER_VALUE"
    if code == "RESOURCE_DOES_NOT_EXIST" or status == 404 or unknown_alias:
        return NotFound(f"MLflow has no {what}")
    if code in ("PERMISSION_DENIED", "UNAUTHENTICATED") or status in (401, 403):
        return Refused(f"MLflow refused the bot's credentials ({code or status}) for {what}")
    if status is not None and 400 <= status < 500:
        return Refused(f"MLflow refused the request for {what}: {str(error)[:200]}")
    # No answer (MLflow's client reports a lost connection as INTERNAL_ERROR), or a 5xx.
    return Unreachable(f"MLflow did not answer ({what}): {_first_line(error)}")


def _http_status(error: Exception) -> int | None:
    get = getattr(error, "get_http_status_code", None)
    if get is None or type(error).__name__ != "RestException":
        return None
    try:
        return int(get())
    except (TypeError, ValueError):
        return None


def _first_line(error: Exception) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    # Whole words: a cut mid-word reads as a typo.
    return text if len(text) <= 200 else text[:200].rsplit(" ", 1)[0] + "…"
