"""The links to MLflow evidence that people paste, parsed: runs and model versions.

Accepted: a run's page in the MLflow UI (`…/#/experiments/<id>/runs/<run_id>[/…]`,
`…/#/runs/<run_id>`, Databricks' `…/ml/experiments/<id>/runs/<run_id>`), `runs:/<run_id>`,
a model version's page (`…/#/models/<name>/versions/<version>`), `models:/<name>/<version>` and
`models:/<name>@<alias>`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import unquote, urlsplit


class LinkKind(StrEnum):
    RUN = "run"
    MODEL_VERSION = "model_version"


class LinkError(ValueError):
    """The text is no MLflow link we know; the message says what would be."""


@dataclass(frozen=True)
class Link:
    kind: LinkKind
    run_id: str | None = None
    model: str | None = None
    version: str | None = None
    alias: str | None = None  # `models:/name@alias`: the version the alias names when linked

    @property
    def label(self) -> str:
        """How people write this link: `runs:/<id>`, `models:/name/3`, `models:/name@champion`."""
        if self.kind == LinkKind.RUN:
            return f"runs:/{self.run_id}"
        if self.alias and not self.version:
            return f"models:/{self.model}@{self.alias}"
        return f"models:/{self.model}/{self.version}"


EXAMPLES = (
    "an MLflow run URL (`…/#/experiments/1/runs/<run_id>`), `runs:/<run_id>`, "
    "`models:/<name>/<version>` or `models:/<name>@<alias>`"
)
MAX_CHARS = 500

_RUN_ID = r"[0-9a-zA-Z][0-9a-zA-Z_-]{0,63}"
_UI_RUN = re.compile(rf"(?:^|/)(?:experiments/\d+/)?runs/({_RUN_ID})(?:/|$|\?)")
_UI_VERSION = re.compile(r"(?:^|/)models/([^/?#]+)/versions/(\d+)(?:/|$|\?)")
_RUNS_URI = re.compile(rf"^runs:/({_RUN_ID})(?:/.*)?$")
_MODELS_URI = re.compile(r"^models:/([^/@]+)(?:/(\d+)|@([A-Za-z0-9_-]+))/?$")


def parse(text: str) -> Link:
    """One link, or LinkError naming what is accepted."""
    text = text.strip().strip("<>")
    if "|" in text:  # Slack's `<url|label>`: the URL is what counts
        text = text.split("|", 1)[0]
    if not text:
        raise LinkError(f"Give {EXAMPLES}.")
    if len(text) > MAX_CHARS:
        raise LinkError(f"That link is {len(text)} characters; MLflow links are under {MAX_CHARS}.")
    if match := _RUNS_URI.match(text):
        return Link(LinkKind.RUN, run_id=match.group(1))
    if match := _MODELS_URI.match(text):
        name, version, alias = unquote(match.group(1)), match.group(2), match.group(3)
        return Link(LinkKind.MODEL_VERSION, model=name, version=version, alias=alias)
    if text.startswith(("http://", "https://")):
        parts = urlsplit(text)
        # MLflow's UI routes in the fragment (`#/runs/…`); Databricks' in the path.
        for route in (parts.fragment, parts.path):
            if match := _UI_RUN.search(route):
                return Link(LinkKind.RUN, run_id=match.group(1))
            if match := _UI_VERSION.search(route):
                return Link(LinkKind.MODEL_VERSION, model=unquote(match.group(1)), version=match.group(2))
        raise LinkError(f"`{text[:80]}` is no MLflow run or model version page; give {EXAMPLES}.")
    raise LinkError(f"`{text[:80]}` is not {EXAMPLES}.")


def find_urls(text: str) -> list[str]:
    """The http(s) URLs in `text` that are MLflow run or model version pages."""
    found = []
    for url in re.findall(r"https?://[^\s<>|]+", text):
        # A link at the end of a sentence: `…/versions/2.`
        url = url.rstrip(".,;:!?)")
        try:
            parse(url)
        except LinkError:
            continue
        found.append(url)
    return found


def ui_url(base: str, link: Link, *, experiment_id: str | None = None) -> str:
    """The page of `link` in the MLflow UI at `base` (the tracking server's address)."""
    base = base.rstrip("/")
    databricks = ".databricks." in base or base.startswith("databricks")
    if link.kind == LinkKind.RUN:
        if databricks and experiment_id:
            return f"{base}/ml/experiments/{experiment_id}/runs/{link.run_id}"
        if experiment_id:
            return f"{base}/#/experiments/{experiment_id}/runs/{link.run_id}"
        return f"{base}/#/runs/{link.run_id}"
    if databricks:
        return f"{base}/ml/models/{link.model}/versions/{link.version}"
    return f"{base}/#/models/{link.model}/versions/{link.version}"
