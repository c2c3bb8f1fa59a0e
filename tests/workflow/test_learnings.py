"""Learnings at the workflow level, on both databases: what is refused (and stores nothing), the
prompt queued with the close, search by text and tag, and the reminder's window."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlmodel import select

from storage.db import Database
from storage.models import Delivery, Learning
from tests.fakeslack import TEAM_ID
from tests.workflow.review_steps import propose
from workflow import experiments, learnings, lifecycle
from workflow import vocabulary as v
from workflow.delivery import Kind, LearningPrompt, LearningRecorded, args_of
from workflow.errors import InvalidInput, NotFound

NOW = datetime.fromisoformat("2026-11-30T10:00:00+00:00")


def _record(db: Database, number: int, text: str | None, **fields: str | None) -> Learning:
    with db.session() as session:
        learning, _ = learnings.record(
            session, team_id=TEAM_ID, user_id="U_ANA", number=number, text=text, now=NOW, **fields
        )
        return learning


def _stored(db: Database) -> list[Learning]:
    with db.read() as session:
        return list(session.exec(select(Learning)).all())


@pytest.mark.parametrize(
    ("text", "fields", "field", "says"),
    [
        ("", {}, learnings.TEXT, "can't be empty"),
        ("   \n ", {}, learnings.TEXT, "can't be empty"),
        ("x" * 1501, {}, learnings.TEXT, "1501 characters; keep it to 1500"),
        ("Tell @channel", {}, learnings.TEXT, "Don't ping the whole channel"),
        ("Tell <!here>", {}, learnings.TEXT, "Don't ping the whole channel"),
        ("ok", {"differently": "ping <!everyone|everyone>"}, learnings.DIFFERENTLY, "Don't ping"),
        ("ok", {"tags": "rag, two words"}, learnings.TAGS, "not a tag"),
    ],
)
def test_a_bad_learning_is_refused_on_its_field_and_nothing_is_stored(
    db: Database, text: str, fields: dict[str, str], field: str, says: str
) -> None:
    number = propose(db)
    with pytest.raises(learnings.LearningInvalid) as refused:
        _record(db, number, text, **fields)
    assert says in refused.value.errors[field]
    assert _stored(db) == []


def test_a_learning_on_an_unknown_experiment_is_refused(db: Database) -> None:
    with pytest.raises(NotFound, match="no experiment EXP-7"):
        _record(db, 7, "Something true")
    assert _stored(db) == []


def test_a_learning_is_stored_with_its_author_and_time_and_queued_for_the_thread(db: Database) -> None:
    number = propose(db)
    learning = _record(db, number, "  Chunk size matters\nmore than the model ", tags="RAG, latency,rag")
    assert (learning.author_id, learning.created_at, learning.tags) == ("U_ANA", NOW, "rag,latency")
    assert learning.text == "Chunk size matters\nmore than the model"
    with db.read() as session:
        rows = [r for r in session.exec(select(Delivery)).all() if r.kind == Kind.NOTICE]
    assert learning.id is not None
    assert [args_of(r) for r in rows] == [LearningRecorded("U_ANA", learning.id)]


def test_closing_queues_the_learning_prompt_with_the_status_change(db: Database) -> None:
    number = propose(db)
    with db.session() as session:
        experiment = experiments.get(session, team_id=TEAM_ID, number=number)
        lifecycle.move(session, experiment, v.Status.WITHDRAWN, actor_id="U_OWNER")
    with db.read() as session:
        notices = [type(args_of(r)) for r in session.exec(select(Delivery)).all() if r.kind == Kind.NOTICE]
    assert notices == [LearningPrompt]


def test_search_matches_every_word_in_text_or_tags_case_insensitively_newest_first(db: Database) -> None:
    number = propose(db)
    _record(db, number, "Chunk SIZE matters", tags="rag")
    _record(db, number, "Latency doubled with reranking", tags="Latency,Rerank")
    _record(db, number, "100% of 50_50 splits were noise")
    with db.read() as session:
        assert [i.text for i, _ in learnings.search(session, team_id=TEAM_ID, words=["size"]).items] == [
            "Chunk SIZE matters"
        ]
        by_tag = learnings.search(session, team_id=TEAM_ID, words=["RERANK"])
        assert [i.text for i, _ in by_tag.items] == ["Latency doubled with reranking"]
        both = learnings.search(session, team_id=TEAM_ID, words=["latency", "doubled"])
        assert both.total == 1
        # `%` and `_` are matched literally, not as wildcards.
        assert learnings.search(session, team_id=TEAM_ID, words=["0_5"]).total == 1
        assert learnings.search(session, team_id=TEAM_ID, words=["1%"]).total == 0
        newest = learnings.search(session, team_id=TEAM_ID, words=[], limit=2)
        assert newest.total == 3 and newest.hidden == 1
        assert learnings.search(session, team_id="T_OTHER", words=[]).total == 0
        with pytest.raises(InvalidInput, match="not `@channel`"):
            learnings.search(session, team_id=TEAM_ID, words=["@channel"])


def test_written_between_is_half_open(db: Database) -> None:
    number = propose(db)
    _record(db, number, "At the edge")
    with db.read() as session:
        assert learnings.written_between(session, team_id=TEAM_ID, since=NOW, until=NOW + timedelta(1))
        assert not learnings.written_between(session, team_id=TEAM_ID, since=NOW - timedelta(1), until=NOW)
