"""A WebClient that counts its calls, by method and how Slack answered."""

from __future__ import annotations

import re
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from bot.metrics import SLACK_CALLS, name_label

_METHOD = re.compile(r"[a-z]+(\.[A-Za-z]+)+")


def _status(error: Exception) -> str:
    if isinstance(error, SlackApiError):
        response = error.response
        if response.status_code == 429:
            return "ratelimited"
        return name_label(str(response.get("error") or f"http_{response.status_code}"))
    return name_label(type(error).__name__)


class MeteredWebClient(WebClient):
    """Every Web API call is counted in `aiteam_slack_api_calls_total{method, status}`; a call
    the client's retry handlers retried counts once, as it ended."""

    def api_call(self, api_method: str, **kwargs: Any) -> SlackResponse:
        method = api_method if _METHOD.fullmatch(api_method) else "other"
        try:
            response = super().api_call(api_method, **kwargs)
        except Exception as error:
            SLACK_CALLS.labels(method, _status(error)).inc()
            raise
        SLACK_CALLS.labels(method, "ok").inc()
        return response


def metered(client: WebClient) -> MeteredWebClient:
    """The same client, counted (Bolt builds a plain one per request)."""
    return MeteredWebClient(
        token=client.token,
        base_url=client.base_url,
        timeout=client.timeout,
        ssl=client.ssl,
        proxy=client.proxy,
        headers=client.headers,
        team_id=client.default_params.get("team_id"),
        logger=client.logger,
        retry_handlers=list(client.retry_handlers),
    )
