"""`/experiment propose`, end to end: signed HTTP in, Web API calls out to the fake Slack."""

from __future__ import annotations

from bot import ids
from tests.harness import BotServer, all_text


def test_propose_posts_card_and_confirms_ephemerally(bot: BotServer) -> None:
    reply = bot.command("/experiment", "propose Adding retrieval improves answer accuracy by 10%")

    assert reply.status == 200
    assert reply.response_type == "ephemeral"
    assert "EXP-1" in reply.text

    post = bot.slack.wait_for("chat.postMessage")[0]
    assert post.args["channel"] == "C_TEAM"
    shown = all_text(post.args["blocks"])
    assert "EXP-1" in shown
    assert "Adding retrieval improves answer accuracy by 10%" in shown
    assert "<@U_OWNER>" in shown
    assert "proposed" in shown
    assert "experimentation" in shown
    for review in ("Technical", "Ethics", "Business"):
        assert f"{review}: :white_circle: pending" in shown
    assert "weeks" in shown


def test_card_location_is_stored_for_later_updates(bot: BotServer) -> None:
    bot.command("/experiment", "propose First")
    post = bot.slack.wait_for("chat.postMessage")[0]
    ((channel, ts),) = bot.slack.messages
    assert channel == post.args["channel"] == "C_TEAM"
    # The detail view links to the card at the channel and ts that were stored.
    reply = bot.command("/experiment", "show EXP-1")
    assert f"C_TEAM/p{ts.replace('.', '')}|EXP-1" in all_text(reply.json()["blocks"])


def test_numbers_are_per_workspace(bot: BotServer) -> None:
    assert "EXP-1" in bot.command("/experiment", "propose A", team="T_ONE").text
    assert "EXP-2" in bot.command("/experiment", "propose B", team="T_ONE").text
    assert "EXP-1" in bot.command("/experiment", "propose C", team="T_TWO").text
    other = bot.command("/experiment", "show EXP-2", team="T_TWO")
    assert "no experiment EXP-2 here" in other.text


def test_hypothesis_that_tries_to_ping_is_escaped(bot: BotServer) -> None:
    bot.command("/experiment", "propose <!channel> <!here> <@U999> & <https://evil.example|innocent>")
    post = bot.slack.wait_for("chat.postMessage")[0]
    sent = all_text(post.args["blocks"]) + post.args["text"]
    assert "<!channel>" not in sent and "<!here>" not in sent
    assert "<@U999>" not in sent and "<https://evil" not in sent
    assert "&lt;!channel&gt; &lt;!here&gt; &lt;@U999&gt; &amp; &lt;https://evil.example|innocent&gt;" in sent


def test_over_long_hypothesis_is_refused_and_nothing_is_stored(bot: BotServer) -> None:
    reply = bot.command("/experiment", "propose " + "x" * 1501)
    assert reply.response_type == "ephemeral"
    assert "1501 characters" in reply.text
    assert "no experiment EXP-1 here" in bot.command("/experiment", "show EXP-1").text
    assert bot.slack.calls_to("chat.postMessage") == []


def test_a_card_the_bot_cannot_post_is_shown_to_its_owner_and_posted_once_fixed(bot: BotServer) -> None:
    bot.slack.fail("chat.postMessage", "not_in_channel")
    reply = bot.command("/experiment", "propose Works even if the card fails")
    assert "EXP-1" in reply.text
    bot.settle()
    # Recorded, not retried: the owner's App Home and `/experiment show` say what to do.
    home = bot.slack.wait_for("views.publish")[-1].args
    assert home["user_id"] == "U_OWNER"
    shown = all_text(home["view"]["blocks"])
    assert "couldn't deliver the card of EXP-1 to <#C_TEAM>" in shown and "/invite" in shown
    detail = bot.command("/experiment", "show EXP-1").body
    assert "Works even if the card fails" in detail and "not_in_channel" in detail
    assert len(bot.slack.calls_to("chat.postMessage")) == 1

    # Once the bot is invited, the next change posts the card, once.
    bot.command("/experiment", "metric EXP-1 accuracy=0.9")
    cards = [m for m in bot.slack.messages.values() if "thread_ts" not in m]
    assert len(cards) == 1 and "Works even if the card fails" in all_text(cards[0]["blocks"])
    # The problem is gone from where it was shown.
    assert "not_in_channel" not in bot.command("/experiment", "show EXP-1").body
    home = bot.slack.calls_to("views.publish")[-1].args
    assert "couldn't deliver" not in all_text(home["view"]["blocks"])


def test_propose_without_text_opens_modal_and_submission_posts_card(bot: BotServer) -> None:
    reply = bot.command("/experiment", "propose")
    assert reply.status == 200
    view = bot.slack.wait_for("views.open")[0].args["view"]
    assert view["callback_id"] == ids.PROPOSE_MODAL

    submitted = bot.submit_view(
        view,
        {
            ids.HYPOTHESIS_BLOCK: {
                ids.HYPOTHESIS_INPUT: {"type": "plain_text_input", "value": "Distillation halves cost"}
            },
            ids.WORKSTREAM_BLOCK: {
                ids.WORKSTREAM_INPUT: {"type": "static_select", "selected_option": {"value": "optimization"}}
            },
        },
        user="U_MODAL",
    )
    assert submitted.status == 200
    post = bot.slack.wait_for("chat.postMessage")[0]
    assert post.args["channel"] == "C_TEAM"
    shown = all_text(post.args["blocks"])
    assert "Distillation halves cost" in shown and "optimization" in shown and "<@U_MODAL>" in shown
    confirm = bot.slack.wait_for("chat.postEphemeral")[0]
    assert confirm.args["user"] == "U_MODAL" and "EXP-1" in confirm.args["text"]


def test_modal_rejects_empty_and_over_long_hypothesis_inline(bot: BotServer) -> None:
    bot.command("/experiment", "propose")
    view = bot.slack.wait_for("views.open")[0].args["view"]
    for value, expected in (("   ", "Write the hypothesis"), ("y" * 2000, "2000 characters")):
        reply = bot.submit_view(
            view,
            {
                ids.HYPOTHESIS_BLOCK: {ids.HYPOTHESIS_INPUT: {"type": "plain_text_input", "value": value}},
                ids.WORKSTREAM_BLOCK: {
                    ids.WORKSTREAM_INPUT: {
                        "type": "static_select",
                        "selected_option": {"value": "production"},
                    }
                },
            },
            user="U_MODAL",
        )
        body = reply.json()
        assert body["response_action"] == "errors"
        assert expected in body["errors"][ids.HYPOTHESIS_BLOCK]
    assert bot.slack.calls_to("chat.postMessage") == []
