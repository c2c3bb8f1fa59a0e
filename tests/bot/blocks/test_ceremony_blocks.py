"""Ceremony builders, called directly: limits, escaping, the late note."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.blocks import MAX_MESSAGE_BLOCKS
from bot.blocks.ceremonies import list_view, reminder_message
from storage.models import Ceremony, CeremonyRun, Experiment
from tests.harness import all_text
from workflow import ceremonies as c
from workflow import schedules
from workflow.ceremonies import Listed
from workflow.reminders import Reminder, Section

DUE = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)


def _ceremony(**overrides: object) -> Ceremony:
    values: dict = {
        "id": 1,
        "team_id": "T1",
        "name": "experiment-review",
        "kind": c.EXPERIMENT_REVIEW,
        "channel_id": "C1",
        "schedule": "weekly wed 14:00",
        "timezone": "Australia/Sydney",
        "duration_minutes": 60,
        "created_by": "U1",
        **overrides,
    }
    return Ceremony(**values)


def _experiment(number: int) -> Experiment:
    return Experiment(
        id=number,
        team_id="T1",
        number=number,
        hypothesis=f"Hypothesis {number} " + "x" * 300,
        workstream="experimentation",
        owner_id="U2",
        status="in_review",
        timeline_weeks=2,
        channel_id="C1",
        message_ts=f"1700000000.{number:06d}",
        status_changed_at=DUE,
    )


def test_long_lists_are_capped_with_a_count_and_stay_within_slacks_limits() -> None:
    shown = [_experiment(n) for n in range(1, 11)]
    sections = [Section(key, shown, 60) for key in ("in_review", "changes_requested", "reviewed", "approved")]
    payload = reminder_message(Reminder(_ceremony(), DUE, late=False, sections=sections))
    assert len(payload["blocks"]) <= MAX_MESSAGE_BLOCKS
    text = all_text(payload["blocks"])
    assert text.count("…and 50 more") == 4
    assert all(len(b["text"]["text"]) <= 3000 for b in payload["blocks"] if b["type"] == "section")


def test_late_reminders_say_when_they_were_due_in_the_ceremonys_timezone() -> None:
    payload = reminder_message(Reminder(_ceremony(), DUE, late=True))
    assert "posted late: due 14:00 AEDT (Wed 25 Nov)" in all_text(payload["blocks"])
    assert "posted late: due 14:00" in payload["text"]
    on_time = reminder_message(Reminder(_ceremony(), DUE, late=False))
    assert "late" not in all_text(on_time["blocks"]) + on_time["text"]


def test_list_shows_next_run_in_each_ceremonys_timezone_and_failures() -> None:
    sydney = _ceremony()
    paused = _ceremony(id=2, name="retro", kind=c.RETROSPECTIVE, paused=True, timezone="UTC")
    failed_run = CeremonyRun(
        team_id="T1", ceremony_id=1, due_at=DUE, status="failed", error="not_in_channel", claimed_at=DUE
    )
    payload = list_view(
        [
            Listed(
                sydney,
                datetime(2026, 12, 2, 3, 0, tzinfo=UTC).astimezone(schedules.zone("Australia/Sydney")),
                failed_run,
            ),
            Listed(paused, None, None),
        ]
    )
    text = all_text(payload["blocks"])
    assert "*experiment-review* (experiment review) in <#C1> · next: Wed 02 Dec 14:00 AEDT" in text
    assert "`weekly wed 14:00` Australia/Sydney · 60 min" in text
    assert ":warning: the reminder due Wed 25 Nov 14:00 failed: not_in_channel" in text
    assert "*retro* (retrospective) in <#C1> · :double_vertical_bar: paused" in text


def test_list_of_many_ceremonies_is_capped() -> None:
    many = [Listed(_ceremony(id=n, name=f"c{n}"), None, None) for n in range(60)]
    payload = list_view(many)
    assert len(payload["blocks"]) <= MAX_MESSAGE_BLOCKS
    assert "…and 20 more." in all_text(payload["blocks"])
