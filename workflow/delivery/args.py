"""What a delivery row carries beyond its subject, as small typed values encoded in one place.

A row's `args` column holds the JSON these encode to. The encoding is the one earlier releases
wrote (`{"notice": "decision", "actor_id": …, "what": …}`), so rows queued before a deploy are
still read after it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, Self

from storage.vocabulary import Gate, ReviewKind, SignOff


class Args:
    """Base of every row's arguments: encoded to the row's `args` column, decoded from it."""

    def fields(self) -> dict[str, Any]:
        raise NotImplementedError

    def encode(self) -> str:
        return json.dumps(self.fields())

    @classmethod
    def decode(cls, data: dict[str, Any]) -> Self:
        raise NotImplementedError


@dataclass(frozen=True)
class NudgeArgs(Args):
    claimed_at: datetime  # which claim of the nudge pass queued it

    def fields(self) -> dict[str, Any]:
        return {"claimed_at": self.claimed_at.isoformat()}

    @classmethod
    def decode(cls, data: dict[str, Any]) -> Self:
        return cls(datetime.fromisoformat(data["claimed_at"]))


@dataclass(frozen=True)
class DmArgs(Args):
    followup: bool  # the follow-up to a prompt not answered yet, not the prompt itself

    def fields(self) -> dict[str, Any]:
        return {"followup": self.followup}

    @classmethod
    def decode(cls, data: dict[str, Any]) -> Self:
        return cls(bool(data.get("followup")))


class News(StrEnum):
    """What an experiment's owner is told in a DM."""

    REVIEWED = "reviewed"  # every review approved: ready to promote
    CHANGES_REQUESTED = "changes_requested"
    REJECTED = "rejected"
    STALE = "stale"  # decisions went stale
    EXPIRED = "expired"  # the sign-off request expired
    PRODUCTION = "production"


@dataclass(frozen=True)
class OwnerNews(Args):
    """A DM to an experiment's owner: what happened, who did it, and the detail (a reason, what
    changed)."""

    news: News
    actor_id: str
    detail: str = ""

    def fields(self) -> dict[str, Any]:
        return {"news": self.news, "actor_id": self.actor_id, "detail": self.detail}

    @classmethod
    def decode(cls, data: dict[str, Any]) -> Self:
        return cls(News(data["news"]), data["actor_id"], data.get("detail") or "")


class Notice(StrEnum):
    """The one-off thread replies, named in a NOTICE row's args."""

    DECISION = "decision"  # changes requested or rejected, with the reason
    RESUBMITTED = "resubmitted"
    BLOCKED = "blocked"  # a standup blocker naming the experiment
    LEARNING_PROMPT = "learning_prompt"  # the experiment closed: Record a learning
    LEARNING = "learning"  # a learning was recorded
    BIAS_CHECK = "bias_check"  # bias checks were recorded
    STALE = "stale"  # decisions went stale: their people are told what changed
    EXPIRED = "expired"  # the sign-off request expired: the owner is told how to ask again
    REGISTRY = "registry"  # news from the model registry (MLflow): a version linked, an alias set


@dataclass(frozen=True)
class NoticeArgs(Args):
    """A one-off reply in an experiment's thread: who caused it, and what it says."""

    actor_id: str

    NOTICE: ClassVar[Notice]

    def fields(self) -> dict[str, Any]:
        return {"notice": self.NOTICE, "actor_id": self.actor_id, **self.extra()}

    def extra(self) -> dict[str, Any]:
        return {}

    @classmethod
    def decode(cls, data: dict[str, Any]) -> Self:
        notice = _NOTICES[Notice(data["notice"])]
        assert issubclass(notice, cls)
        return notice.read(data)

    @classmethod
    def read(cls, data: dict[str, Any]) -> Self:
        return cls(data["actor_id"])


@dataclass(frozen=True)
class Decided(NoticeArgs):
    """Changes requested or a rejection, in a review or at sign-off, with the reason."""

    gate: Gate
    reason: str
    NOTICE: ClassVar[Notice] = Notice.DECISION

    @property
    def what(self) -> str:
        """`ethics review`, `sign-off`."""
        return f"{self.gate} review" if isinstance(self.gate, ReviewKind) else str(self.gate)

    def extra(self) -> dict[str, Any]:
        return {"what": self.what, "reason": self.reason}

    @classmethod
    def read(cls, data: dict[str, Any]) -> Self:
        what = str(data["what"])
        gate: Gate = ReviewKind(what.removesuffix(" review")) if what.endswith(" review") else SignOff(what)
        return cls(data["actor_id"], gate, data["reason"])


@dataclass(frozen=True)
class Resubmitted(NoticeArgs):
    NOTICE: ClassVar[Notice] = Notice.RESUBMITTED


@dataclass(frozen=True)
class LearningPrompt(NoticeArgs):
    NOTICE: ClassVar[Notice] = Notice.LEARNING_PROMPT


@dataclass(frozen=True)
class LearningRecorded(NoticeArgs):
    learning_id: int
    NOTICE: ClassVar[Notice] = Notice.LEARNING

    def extra(self) -> dict[str, Any]:
        return {"learning_id": str(self.learning_id)}

    @classmethod
    def read(cls, data: dict[str, Any]) -> Self:
        return cls(data["actor_id"], int(data["learning_id"]))


@dataclass(frozen=True)
class BiasChecked(NoticeArgs):
    check_id: int
    NOTICE: ClassVar[Notice] = Notice.BIAS_CHECK

    def extra(self) -> dict[str, Any]:
        return {"check_id": str(self.check_id)}

    @classmethod
    def read(cls, data: dict[str, Any]) -> Self:
        return cls(data["actor_id"], int(data["check_id"]))


@dataclass(frozen=True)
class Blocked(NoticeArgs):
    """A standup answer's blockers name the experiment (`actor_id` is who is blocked)."""

    blockers: str
    NOTICE: ClassVar[Notice] = Notice.BLOCKED

    def extra(self) -> dict[str, Any]:
        return {"blockers": self.blockers}

    @classmethod
    def read(cls, data: dict[str, Any]) -> Self:
        return cls(data["actor_id"], data["blockers"])


@dataclass(frozen=True)
class WentStale(NoticeArgs):
    """The evidence changed under decisions made on it (`actor_id` changed it): who decided them,
    and what went stale and why (`technical review, security sign-off: accuracy 0.91 → 0.84`)."""

    people: tuple[str, ...]
    summary: str
    NOTICE: ClassVar[Notice] = Notice.STALE

    def extra(self) -> dict[str, Any]:
        return {"people": list(self.people), "summary": self.summary}

    @classmethod
    def read(cls, data: dict[str, Any]) -> Self:
        return cls(data["actor_id"], tuple(data["people"]), data["summary"])


@dataclass(frozen=True)
class RequestExpired(NoticeArgs):
    """The sign-off request closed unanswered (`why`: `it expired after 14 days …`)."""

    why: str
    NOTICE: ClassVar[Notice] = Notice.EXPIRED

    def extra(self) -> dict[str, Any]:
        return {"why": self.why}

    @classmethod
    def read(cls, data: dict[str, Any]) -> Self:
        return cls(data["actor_id"], data["why"])


class RegistryNews(StrEnum):
    """What the model registry's webhooks (or the bot itself) did to an experiment's model."""

    VERSION_LINKED = "version_linked"  # a version registered from its run (or tagged) is linked
    OUTSIDE_APPROVAL = "outside_approval"  # a guarded alias set before the team's approvals
    DEPLOYED = "deployed"  # a guarded alias set after them (by the bot, or by hand)
    ALIAS_REMOVED = "alias_removed"  # a guarded alias taken off a production experiment's version


@dataclass(frozen=True)
class RegistryNotice(NoticeArgs):
    """A reply in the experiment's thread (or, for a model no experiment owns, in the alert
    channel) about its model in the registry; `people` are mentioned (the approvers to alert)."""

    news: RegistryNews
    model: str
    version: str | None = None
    alias: str | None = None
    people: tuple[str, ...] = ()
    NOTICE: ClassVar[Notice] = Notice.REGISTRY

    def extra(self) -> dict[str, Any]:
        return {
            "news": self.news,
            "model": self.model,
            "version": self.version,
            "alias": self.alias,
            "people": list(self.people),
        }

    @classmethod
    def read(cls, data: dict[str, Any]) -> Self:
        return cls(
            data["actor_id"],
            RegistryNews(data["news"]),
            data["model"],
            data.get("version"),
            data.get("alias"),
            tuple(data.get("people") or ()),
        )


@dataclass(frozen=True)
class UnfurlArgs(Args):
    """MLflow links posted in a message, to unfurl (`chat.unfurl` needs the channel and the ts)."""

    channel: str
    ts: str
    urls: tuple[str, ...]

    def fields(self) -> dict[str, Any]:
        return {"channel": self.channel, "ts": self.ts, "urls": list(self.urls)}

    @classmethod
    def decode(cls, data: dict[str, Any]) -> Self:
        return cls(data["channel"], data["ts"], tuple(data["urls"]))


_NOTICES: dict[Notice, type[NoticeArgs]] = {
    cls.NOTICE: cls
    for cls in (
        Decided,
        Resubmitted,
        LearningPrompt,
        LearningRecorded,
        BiasChecked,
        Blocked,
        WentStale,
        RequestExpired,
        RegistryNotice,
    )
}
if set(_NOTICES) != set(Notice):  # a bug in this file, caught at import
    raise RuntimeError(f"notices without args: {sorted(set(Notice) - set(_NOTICES))}")
