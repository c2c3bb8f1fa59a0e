"""Learnings: what the team learned from an experiment, kept where the team can find it again.

When an experiment closes (production, rejected, withdrawn) its thread gets a reply with a
**Record a learning** button; anyone may add one there or with `/experiment learn EXP-<n> <text>`.
Each learning is posted in the thread, shown on `/experiment show`, searchable with
`/experiment learnings [words…]`, and listed in the next experiment-review reminder.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from storage import audit
from storage import learnings as queries
from storage.models import Experiment, Learning
from workflow import delivery
from workflow import vocabulary as v
from workflow.errors import InvalidInput
from workflow.experiments import get, ref

TEXT_MAX_CHARS = 1500
DIFFERENTLY_MAX_CHARS = 1500
TAGS_MAX_CHARS = 300
TAG_MAX_CHARS = 40
SEARCH_LIMIT = 10

# The fields of the learning modal, named for its errors.
TEXT, DIFFERENTLY, TAGS = "text", "differently", "tags"

# `@channel`, `@here`, `@everyone`, and their mrkdwn forms `<!channel>`, `<!here|here>`, ….
_BROADCAST = re.compile(r"(?:@|<!)(?:channel|here|everyone)\b", re.IGNORECASE)
_TAG = re.compile(r"^[\w-]+$")
NO_BROADCAST = "Don't ping the whole channel (`@channel`, `@here`, `@everyone`) from a learning."


class LearningInvalid(InvalidInput):
    """What is wrong with each field of a learning, by field name."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(" ".join(errors.values()))
        self.errors = errors


@dataclass(frozen=True)
class Draft:
    text: str
    differently: str | None
    tags: tuple[str, ...]


def _check_text(errors: dict[str, str], name: str, text: str, limit: int, *, what: str) -> None:
    if len(text) > limit:
        errors[name] = f"{what} is {len(text)} characters; keep it to {limit}."
    elif _BROADCAST.search(text):
        errors[name] = NO_BROADCAST


def parse_tags(text: str | None) -> tuple[tuple[str, ...], str | None]:
    """`RAG, latency,rag` → ("rag", "latency"), or an error saying what is wrong."""
    raw = (text or "").strip()
    if len(raw) > TAGS_MAX_CHARS:
        return (), f"Tags are {len(raw)} characters; keep them to {TAGS_MAX_CHARS}."
    tags: list[str] = []
    for part in raw.split(","):
        tag = part.strip().lower()
        if not tag:
            continue
        if not _TAG.match(tag) or len(tag) > TAG_MAX_CHARS:
            return (), f"`{tag[:40]}` is not a tag; tags are single words, separated by commas."
        if tag not in tags:
            tags.append(tag)
    return tuple(tags), None


def validate(text: str | None, differently: str | None = None, tags: str | None = None) -> Draft:
    errors: dict[str, str] = {}
    cleaned = (text or "").strip()
    if not cleaned:
        errors[TEXT] = "Write what we learned; it can't be empty."
    else:
        _check_text(errors, TEXT, cleaned, TEXT_MAX_CHARS, what="What we learned")
    other = (differently or "").strip()
    _check_text(errors, DIFFERENTLY, other, DIFFERENTLY_MAX_CHARS, what="What we'd do differently")
    parsed, problem = parse_tags(tags)
    if problem:
        errors[TAGS] = problem
    if errors:
        raise LearningInvalid(errors)
    return Draft(cleaned, other or None, parsed)


def record(
    session: Session,
    *,
    team_id: str,
    user_id: str,
    number: int,
    text: str | None,
    differently: str | None = None,
    tags: str | None = None,
    now: datetime,
) -> tuple[Learning, Experiment]:
    """Store a learning on EXP-<number> and queue posting it in the experiment's thread."""
    draft = validate(text, differently, tags)
    experiment = get(session, team_id=team_id, number=number)
    assert experiment.id is not None
    learning = Learning(
        team_id=team_id,
        experiment_id=experiment.id,
        author_id=user_id,
        text=draft.text,
        differently=draft.differently,
        tags=",".join(draft.tags),
        created_at=now,
    )
    session.add(learning)
    session.flush()
    audit.record(
        session,
        team_id=team_id,
        experiment_id=experiment.id,
        actor_id=user_id,
        action=v.AuditAction.LEARNING,
        detail=f"{ref(experiment.number)}: {draft.text.splitlines()[0][:100]}",
    )
    assert learning.id is not None
    delivery.notice(session, experiment, delivery.LearningRecorded(user_id, learning.id))
    return learning, experiment


def of_experiment(session: Session, experiment: Experiment) -> Sequence[Learning]:
    assert experiment.id is not None
    return queries.of_experiment(session, experiment_id=experiment.id)


@dataclass(frozen=True)
class Found:
    words: tuple[str, ...]
    items: Sequence[tuple[Learning, Experiment]]
    total: int

    @property
    def hidden(self) -> int:
        return self.total - len(self.items)


def search(session: Session, *, team_id: str, words: Sequence[str], limit: int = SEARCH_LIMIT) -> Found:
    """The newest learnings matching every word (in text or tags); no words: the newest."""
    cleaned = tuple(w.strip().lower() for w in words if w.strip())
    for word in cleaned:
        if _BROADCAST.search(word):
            raise InvalidInput("Search for words, not `@channel` or `@here`.")
    items, total = queries.search(session, team_id=team_id, words=cleaned, limit=limit)
    return Found(cleaned, items, total)


def written_between(
    session: Session, *, team_id: str, since: datetime, until: datetime
) -> Sequence[tuple[Learning, Experiment]]:
    return queries.written_between(session, team_id=team_id, since=since, until=until)


def first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""
