"""The App Home tab: a view of type home, inside Slack's 100 blocks whatever the data."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.blocks.home import MAX_HOME_BLOCKS, home_view
from storage.models import Away, Delivery, Experiment
from tests.harness import all_text
from workflow import vocabulary as v
from workflow.delivery.problems import Problem
from workflow.home import Home
from workflow.waiting import Waiting

TODAY = date(2026, 11, 24)


def _experiment(number: int) -> Experiment:
    created = datetime(2026, 11, 23, tzinfo=UTC)
    return Experiment(
        id=number, team_id="T1", number=number, hypothesis=f"<!channel> idea {number}", workstream="w",
        owner_id="U1", status=v.Status.IN_REVIEW, timeline_weeks=2, created_at=created, updated_at=created,
        status_changed_at=created,
    )  # fmt: skip


def test_an_empty_home_says_what_to_do() -> None:
    view = home_view(Home(user_id="U1", waiting=[], mine=[], recent=[], problems=[]), today=TODAY)
    assert view["type"] == "home"
    text = all_text(view["blocks"])
    assert "Hi <@U1>" in text and "Nothing is waiting on you." in text and "No experiments yet." in text
    assert "Not delivered" not in text


def test_a_full_home_stays_inside_slack_limits_and_escapes_hypotheses() -> None:
    many = [_experiment(n) for n in range(1, 60)]
    home = Home(
        user_id="U1",
        waiting=[Waiting(e, "technical review") for e in many],
        mine=many,
        recent=many,
        problems=[Problem(Delivery(id=1, team_id="T1", kind="home", stream="s"), "the card of EXP-1")],
        away=Away(team_id="T1", user_id="U1", until=date(2026, 12, 4)),
    )
    view = home_view(home, today=TODAY)
    assert len(view["blocks"]) == MAX_HOME_BLOCKS
    text = all_text(view["blocks"])
    assert "&lt;!channel&gt; idea 1" in text and "<!channel>" not in text
    assert "*Not delivered*" in text and "You're away through Fri 04 Dec 2026" in text
    # Nothing on the Home tab is clickable: no listener reads an id back from it.
    assert not [b for b in view["blocks"] if b["type"] == "actions" or "accessory" in b]


def test_waiting_items_say_when_asked_again_or_escalated_and_requests_when_they_expire() -> None:
    stale, escalated, asked = _experiment(1), _experiment(2), _experiment(3)
    escalated.escalated_at = datetime(2026, 11, 24, tzinfo=UTC)
    asked.status = v.Status.APPROVED
    home = Home(
        user_id="U1",
        waiting=[
            Waiting(stale, "ethics review", stale="accuracy 0.91 → 0.84"),
            Waiting(escalated, "sign-off as security"),
        ],
        mine=[asked],
        recent=[],
        problems=[],
        owner_dms=False,
        signoff_expires=timedelta(days=14),
    )
    text = all_text(home_view(home, today=TODAY)["blocks"])
    assert "ethics review · :warning: asked again, the evidence changed (accuracy 0.91 → 0.84)" in text
    assert "sign-off as security · :rotating_light: escalated" in text
    assert "sign-off request expires Mon 07 Dec" in text  # asked on 23 Nov, 14 days
    assert "DMs about your experiments are off · `/aiteam notify on`" in text
