"""Every refused click and command answers privately, says why, and changes nothing."""

from __future__ import annotations

import copy

import pytest

from bot import ids
from storage import audit
from storage import experiments as queries
from tests.bot.listeners.review_helpers import (
    CHANNEL,
    OWNER,
    REVIEWERS,
    SIGNERS,
    approve_reviews,
    card_text,
    card_ts,
    ephemerals,
    reviewed_experiment,
    submit,
    thread_reply,
    tick_all,
)
from tests.fakeslack import TEAM_ID
from tests.harness import BotServer, all_text


def _trail(bot: BotServer, number: int = 1) -> list[tuple[str, str]]:
    with bot.db.session() as session:
        experiment = queries.get_by_number(session, team_id=TEAM_ID, number=number)
        assert experiment is not None and experiment.id is not None
        return [
            (e.actor_id, e.action)
            for e in audit.for_experiment(session, team_id=TEAM_ID, experiment_id=experiment.id)
        ]


def _status(bot: BotServer, number: int = 1) -> str:
    with bot.db.session() as session:
        experiment = queries.get_by_number(session, team_id=TEAM_ID, number=number)
        assert experiment is not None
        return experiment.status


def _submitted(bot: BotServer) -> str:
    bot.command("/experiment", "propose Retrieval improves answer accuracy", user=OWNER)
    return submit(bot)


def test_review_click_without_the_role_is_refused(team: BotServer) -> None:
    review_ts = _submitted(team)
    trail, updates = _trail(team), len(team.slack.calls_to("chat.update"))

    team.click(CHANNEL, review_ts, ids.REVIEW_APPROVE, user=REVIEWERS["ethics"], value="1:technical")

    assert (
        "Only holders of the `technical_reviewer` role may approve the technical review"
        in ephemerals(team)[-1]
    )
    assert team.slack.calls_to("response_url")[-1].args["response_type"] == "ephemeral"
    assert _trail(team) == trail
    assert len(team.slack.calls_to("chat.update")) == updates


def test_nobody_reviews_their_own_experiment(team: BotServer) -> None:
    team.command("/aiteam", f"role add <@{REVIEWERS['technical']}> ml_engineer", user="UADMIN")
    team.command("/experiment", "propose Reviewer's own idea", user=REVIEWERS["technical"])
    reply = team.command("/experiment", "submit EXP-1 eval: https://x", user=REVIEWERS["technical"])
    assert "Submitted" in reply.text
    review_ts, _ = thread_reply(team, "up for review")
    trail = _trail(team)

    team.click(CHANNEL, review_ts, ids.REVIEW_APPROVE, user=REVIEWERS["technical"], value="1:technical")

    assert "is your own experiment" in ephemerals(team)[-1]
    assert _trail(team) == trail


@pytest.mark.parametrize("bot_settings", [{"allow_self_approval": True}])
def test_small_teams_may_allow_self_review(team: BotServer) -> None:
    team.command("/experiment", "propose Reviewer's own idea", user=REVIEWERS["technical"])
    team.command("/experiment", "submit EXP-1 eval: https://x", user=REVIEWERS["technical"])
    review_ts, _ = thread_reply(team, "up for review")
    team.click(CHANNEL, review_ts, ids.REVIEW_APPROVE, user=REVIEWERS["technical"], value="1:technical")
    assert (REVIEWERS["technical"], "review:technical") in _trail(team)


def test_only_the_owner_ticks_and_a_refused_tick_is_redrawn(team: BotServer) -> None:
    review_ts = _submitted(team)
    updates = len(team.slack.calls_to("chat.update"))

    team.toggle(CHANNEL, review_ts, ids.CHECKLIST, "documentation", user=REVIEWERS["ethics"])

    assert "Only the owner of EXP-1 may tick its review checklist" in ephemerals(team)[-1]
    # Slack already shows the box ticked for the clicker; the bot redraws it unticked.
    redraws = team.slack.calls_to("chat.update")[updates:]
    assert any(c.args["ts"] == review_ts for c in redraws)
    checklist = next(
        b
        for b in team.slack.message(CHANNEL, review_ts)["blocks"]
        if b.get("block_id", "").startswith("checklist:")
    )
    assert "initial_options" not in checklist["accessory"]
    assert not any(action == "checklist" for _, action in _trail(team))


def test_a_stale_checklist_click_applies_only_what_was_clicked(team: BotServer) -> None:
    review_ts = _submitted(team)
    stale = copy.deepcopy(team.slack.message(CHANNEL, review_ts))
    team.toggle(CHANNEL, review_ts, ids.CHECKLIST, "documentation", user=OWNER)
    # A second device still shows nothing ticked and ticks another item.
    payload = team.click_payload(CHANNEL, review_ts, ids.CHECKLIST, user=OWNER, message=stale)
    options = next(b for b in stale["blocks"] if b.get("block_id", "").startswith("checklist:"))["accessory"][
        "options"
    ]
    payload["actions"][0]["selected_options"] = [o for o in options if o["value"] == "safety_evaluation"]
    team.interact(payload)
    checklist = next(
        b
        for b in team.slack.message(CHANNEL, review_ts)["blocks"]
        if b.get("block_id", "").startswith("checklist:")
    )
    assert {o["value"] for o in checklist["accessory"]["initial_options"]} == {
        "documentation",
        "safety_evaluation",
    }


def test_double_click_and_slack_retry_record_one_review(team: BotServer) -> None:
    review_ts = _submitted(team)
    payload = team.click_payload(
        CHANNEL, review_ts, ids.REVIEW_APPROVE, user=REVIEWERS["technical"], value="1:technical"
    )
    team.interact(payload)
    team.interact(payload)  # a double click on the same, now stale, message
    team.interact(payload, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})

    assert _trail(team).count((REVIEWERS["technical"], "review:technical")) == 1
    assert "You already approved the technical review" in ephemerals(team)[-1]


def test_a_decided_review_cannot_be_decided_again_by_someone_else(team: BotServer) -> None:
    review_ts = _submitted(team)
    stale = copy.deepcopy(team.slack.message(CHANNEL, review_ts))
    team.click(CHANNEL, review_ts, ids.REVIEW_APPROVE, user=REVIEWERS["technical"], value="1:technical")
    team.command("/aiteam", "role add <@UETHICS> technical_reviewer", user="UADMIN")
    payload = team.click_payload(
        CHANNEL,
        review_ts,
        ids.REVIEW_REQUEST_CHANGES,
        user=REVIEWERS["ethics"],
        value="1:technical",
        message=stale,
    )
    opened = len(team.slack.calls_to("views.open"))
    team.interact(payload)
    assert "already decided (approved)" in ephemerals(team)[-1]
    assert len(team.slack.calls_to("views.open")) == opened


def test_request_changes_without_the_role_opens_no_modal(team: BotServer) -> None:
    review_ts = _submitted(team)
    team.click(CHANNEL, review_ts, ids.REVIEW_REQUEST_CHANGES, user="U_STRANGER", value="1:ethics")
    assert "Only holders of the `ethics_reviewer` role" in ephemerals(team)[-1]
    assert team.slack.calls_to("views.open") == []
    assert _status(team) == "in_review"


def test_sign_off_refusals(team: BotServer) -> None:
    reviewed_experiment(team)
    team.command("/experiment", "promote EXP-1", user=OWNER)
    signoff_ts, _ = thread_reply(team, "ready for production")
    stale = copy.deepcopy(team.slack.message(CHANNEL, signoff_ts))

    team.click(CHANNEL, signoff_ts, ids.SIGNOFF_APPROVE, user=SIGNERS["security"], value="1:technical_lead")
    assert (
        "Only holders of the `technical_lead` role may sign off EXP-1 as technical_lead"
        in ephemerals(team)[-1]
    )

    team.click(CHANNEL, signoff_ts, ids.SIGNOFF_APPROVE, user=OWNER, value="1:security")
    assert "is your own experiment" in ephemerals(team)[-1]

    team.command("/aiteam", f"role add <@{SIGNERS['security']}> product_owner", user="UADMIN")
    team.click(CHANNEL, signoff_ts, ids.SIGNOFF_APPROVE, user=SIGNERS["security"], value="1:security")
    team.click(CHANNEL, signoff_ts, ids.SIGNOFF_APPROVE, user=SIGNERS["security"], value="1:product_owner")
    assert "each sign-off needs a different person" in ephemerals(team)[-1]

    # The security button is gone from the message; a stale copy still has it.
    payload = team.click_payload(
        CHANNEL, signoff_ts, ids.SIGNOFF_APPROVE, user=SIGNERS["security"], value="1:security", message=stale
    )
    team.interact(payload)
    assert "You already signed off EXP-1 as security" in ephemerals(team)[-1]
    signoffs = [action for _, action in _trail(team) if action.startswith("sign-off:")]
    assert signoffs == ["sign-off:security"]
    assert _status(team) == "approved"


def test_sign_off_before_promotion_is_refused(team: BotServer) -> None:
    review_ts = _submitted(team)
    stale = copy.deepcopy(team.slack.message(CHANNEL, review_ts))
    tick_all(team, review_ts)
    approve_reviews(team, review_ts)
    # No sign-off message exists yet; a forged sign-off click must still be refused.
    payload = team.click_payload(
        CHANNEL, review_ts, ids.REVIEW_APPROVE, user=SIGNERS["security"], value="1:technical", message=stale
    )
    payload["actions"][0].update(action_id=ids.SIGNOFF_APPROVE, value="1:security")
    team.interact(payload)
    assert "is reviewed and waiting to be promoted" in ephemerals(team)[-1]
    assert "`/experiment promote EXP-1`" in ephemerals(team)[-1]
    assert _status(team) == "reviewed"


def test_reject_at_sign_off(team: BotServer) -> None:
    reviewed_experiment(team)
    team.command("/experiment", "promote EXP-1", user=OWNER)
    signoff_ts, _ = thread_reply(team, "ready for production")
    team.click(CHANNEL, signoff_ts, ids.SIGNOFF_REJECT, user=REVIEWERS["ethics"], value="1")
    assert "Only holders of technical_lead, product_owner, security may reject EXP-1" in ephemerals(team)[-1]
    team.click(CHANNEL, signoff_ts, ids.SIGNOFF_REJECT, user=SIGNERS["security"], value="1")
    modal = team.slack.wait_for("views.open")[-1].args["view"]
    team.submit_view(
        modal, {ids.REASON_BLOCK: {ids.REASON_INPUT: {"value": "PII in logs"}}}, user=SIGNERS["security"]
    )
    assert _status(team) == "rejected"
    assert "EXP-1 · rejected" in card_text(team)
    assert ids.SIGNOFF_APPROVE not in str(team.slack.message(CHANNEL, signoff_ts)["blocks"])


def test_owner_only_commands(team: BotServer) -> None:
    team.command("/experiment", "propose Retrieval improves answer accuracy", user=OWNER)
    assert (
        "Only the owner of EXP-1 may submit it"
        in team.command("/experiment", "submit EXP-1 x", user="U_STRANGER").text
    )
    assert _status(team) == "proposed"
    submit(team)
    tick_all(team, thread_reply(team, "up for review")[0])
    approve_reviews(team, thread_reply(team, "up for review")[0])
    assert (
        "Only the owner of EXP-1 may request its promotion"
        in team.command("/experiment", "promote EXP-1", user=SIGNERS["security"]).text
    )
    assert _status(team) == "reviewed"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("submit", "Say which experiment"),
        ("submit EXP-x notes", "`EXP-x` is not an experiment id"),
        ("submit EXP-9 notes", "There is no experiment EXP-9 here"),
        # `submit EXP-1` alone opens the submit form (tests/bot/mlflow/test_evidence.py); one that
        # may not be submitted is refused before any form opens.
        ("submit EXP-9", "There is no experiment EXP-9 here"),
        ("submit EXP-1 " + "x" * 2001, "2001 characters"),
        ("promote EXP-1 now", "takes only the experiment id"),
        ("metric EXP-1 accuracy", "is not `name=value`"),
        ("metric EXP-1 accuracy=high", "`high` is not a number"),
        ("metric EXP-1", "Give at least one `name=value`"),
        ("history", "Say which experiment"),
        ("withdraw EXP-1 " + "y" * 1001, "1001 characters"),
    ],
)
def test_bad_experiment_commands_are_refused_privately(team: BotServer, text: str, expected: str) -> None:
    team.command("/experiment", "propose Retrieval improves answer accuracy", user=OWNER)
    trail = _trail(team)
    reply = team.command("/experiment", text, user=OWNER)
    assert reply.response_type == "ephemeral"
    assert expected in reply.text
    assert _trail(team) == trail


def test_artifacts_cannot_ping(team: BotServer) -> None:
    team.command("/experiment", "propose Retrieval improves answer accuracy", user=OWNER)
    team.command("/experiment", "submit EXP-1 <!here> see <https://evil.example|the eval>", user=OWNER)
    _, review = thread_reply(team, "up for review")
    text = all_text(review["blocks"]) + review["text"]
    assert "<!here>" not in text and "<https://evil" not in text
    assert "&lt;!here&gt; see &lt;https://evil.example|the eval&gt;" in text


def test_a_card_update_slack_fails_is_retried_until_the_card_is_true(team: BotServer) -> None:
    review_ts = _submitted(team)
    team.slack.fail("chat.update", "internal_error", times=2, status=500)

    team.click(CHANNEL, review_ts, ids.REVIEW_APPROVE, user=REVIEWERS["technical"], value="1:technical")

    assert (REVIEWERS["technical"], "review:technical") in _trail(team)
    # Nobody touches the experiment again: the queue retries until Slack takes the update.
    team.delivered()
    assert f"Technical: :large_green_circle: approved by <@{REVIEWERS['technical']}>" in card_text(team)
    assert not any("Something went wrong" in text for text in ephemerals(team))


def test_a_thread_reply_slack_fails_is_posted_once_when_it_recovers(team: BotServer) -> None:
    team.command("/experiment", "propose Retrieval improves answer accuracy", user=OWNER)
    team.slack.fail("chat.postMessage", "internal_error", times=2)
    reply = team.command("/experiment", "submit EXP-1 eval: https://x", user=OWNER)
    assert "Submitted" in reply.text
    assert _status(team) == "in_review"
    team.delivered()
    thread = team.slack.thread(CHANNEL, card_ts(team))
    assert sum("up for review" in all_text(m["blocks"]) for m in thread) == 1


def test_an_expired_trigger_says_so_and_changes_nothing(team: BotServer) -> None:
    review_ts = _submitted(team)
    team.slack.fail("views.open", "expired_trigger_id")
    team.click(CHANNEL, review_ts, ids.REVIEW_REQUEST_CHANGES, user=REVIEWERS["ethics"], value="1:ethics")
    assert "I couldn't open the form (expired_trigger_id)" in ephemerals(team)[-1]
    assert _status(team) == "in_review"
