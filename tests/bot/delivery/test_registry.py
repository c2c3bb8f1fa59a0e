"""Every kind of delivery has its spec and its sender: the recipe in docs/architecture.md holds."""

from __future__ import annotations

import json

import pytest

from bot.delivery.senders import SENDERS, sends
from storage.models import Delivery
from workflow import delivery
from workflow.delivery import PACED, SPECS, Kind, Stream
from workflow.refs import Subject


def test_every_kind_has_a_spec_and_exactly_one_sender() -> None:
    assert set(SPECS) == set(Kind)
    assert set(SENDERS) == set(Kind)
    with pytest.raises(RuntimeError, match="two senders for experiment"):
        sends(Kind.EXPERIMENT)(lambda ctx, row: None)


def test_what_the_specs_derive_is_what_the_queue_and_the_cards_use() -> None:
    # DMs, App Home and calls to MLflow or chat.unfurl post nothing into a channel.
    unpaced = {Kind.HOME, Kind.STANDUP_PROMPTS, Kind.STANDUP_DM, Kind.OWNER_DM}
    assert unpaced | {Kind.EVIDENCE_READ, Kind.REGISTRY_ALIAS, Kind.UNFURL} == set(Kind) - PACED
    assert delivery.kinds_of(Subject.EXPERIMENT) == (
        Kind.EXPERIMENT,
        Kind.NOTICE,
        Kind.NUDGE,
        Kind.OWNER_DM,
        Kind.EVIDENCE_READ,
        Kind.REGISTRY_ALIAS,
    )
    # An MLflow outage, retried as long as it lasts, must not hold up the card's stream.
    assert SPECS[Kind.EVIDENCE_READ].stream is Stream.EVIDENCE
    assert delivery.kinds_of(Subject.PROJECT) == (Kind.PROJECT, Kind.MILESTONE_OVERDUE)
    assert SPECS[Kind.RETRO_CHART].stream is Stream.RUN


def test_every_kind_is_described_to_a_person_even_when_its_subject_is_gone() -> None:
    """No kind falls through to a generic description (the retro chart once did)."""
    for kind in Kind:
        row = Delivery(team_id="T1", kind=kind, stream="x", subject_id=None, user_id="U1")
        what = delivery.describe(_NoRows(), row)  # type: ignore[arg-type]
        assert what and "_" not in what and " delivery" not in what, (kind, what)


def test_row_arguments_round_trip_in_the_wire_format_earlier_releases_wrote() -> None:
    old = {"notice": "decision", "actor_id": "U2", "what": "sign-off", "reason": "unsafe"}
    row = Delivery(team_id="T1", kind=Kind.NOTICE, stream="experiment:1", args=json.dumps(old))
    decided = delivery.args_of(row)
    assert decided == delivery.Decided("U2", delivery.Decided.read(old).gate, "unsafe")
    assert isinstance(decided, delivery.Decided) and json.loads(decided.encode()) == old
    learning = {"notice": "learning", "actor_id": "U1", "learning_id": "7"}
    row.args = json.dumps(learning)
    assert delivery.args_of(row) == delivery.LearningRecorded("U1", 7)
    with pytest.raises(TypeError, match="takes"):
        delivery.enqueue(None, Kind.NOTICE, team_id="T1", stream_key=1)  # type: ignore[arg-type]


class _NoRows:
    """A session in which every subject was deleted."""

    def get(self, model: object, key: object) -> None:
        return None
