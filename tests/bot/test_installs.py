"""Installed in many workspaces through OAuth, end to end against the fake Slack, on both databases:
two workspaces install the app through `/slack/install`, each is served with its own token,
and an uninstall stops one workspace and nothing else."""

from __future__ import annotations

import argparse
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlmodel import select

from bot import ids
from bot.deliveries_cli import run as deliveries_cli
from storage.db import Database
from storage.models import Ceremony, Delivery
from tests.bot.listeners.scheduled import Tick, scheduler_pass
from tests.fakeslack import Call, FakeSlack
from tests.harness import BotServer
from workflow import ceremonies, installs

ALPHA, BETA = "T0ALPHA", "T0BETA"
# Each workspace's channel and people: a call about one of them belongs to that workspace.
PEOPLE = {ALPHA: ("UA_OWNER", "UA_REV"), BETA: ("UB_OWNER", "UB_REV")}
CHANNELS = {ALPHA: "C0ALPHA", BETA: "C0BETA"}
MONDAY = datetime.fromisoformat("2026-11-23T09:30:00+00:00")  # the standups' time, UTC
OAUTH = {"slack_client_id": "1111.2222", "slack_client_secret": "client-secret"}


@pytest.fixture
def bot_settings() -> dict[str, object]:
    return dict(OAUTH)


@pytest.fixture
def bot(slack: FakeSlack, db: Database, bot_settings: dict[str, object]) -> Iterator[BotServer]:
    """No delivery worker: each `tick(now)` runs a scheduler pass at `now` and sends what is due."""
    server = BotServer(slack, db, **bot_settings).start(deliver=False)
    yield server
    server.stop()


@pytest.fixture
def tick(bot: BotServer) -> Tick:
    return scheduler_pass(bot)


def _team_of(call: Call) -> str | None:
    """The workspace a call is about, from the channel, DM or person it names."""
    named = {str(call.args.get(key, "")).removeprefix("D") for key in ("channel", "users", "user", "user_id")}
    for team, people in PEOPLE.items():
        if named & {CHANNELS[team], *people}:
            return team
    return None


def _calls_by_team(slack: FakeSlack) -> dict[str, list[Call]]:
    found: dict[str, list[Call]] = {ALPHA: [], BETA: []}
    for call in slack.calls:
        team = _team_of(call)
        if team is not None:
            found[team].append(call)
    return found


def _workspace(bot: BotServer, team: str) -> None:
    """A workspace's channel, people and daily standup (asked by DM)."""
    owner, reviewer = PEOPLE[team]
    for user in (owner, reviewer):
        bot.slack.add_user(user)
    bot.slack.add_channel(CHANNELS[team], "team", members=[owner, reviewer])
    with bot.db.session() as session:
        ceremonies.add(
            session,
            team_id=team,
            actor_id=owner,
            name="standup",
            channel_id=CHANNELS[team],
            schedule_tokens=["weekdays", "09:30", "UTC"],
            default_timezone="UTC",
            now=MONDAY - timedelta(days=1),
        )
        standup = ceremonies.get(session, team_id=team, name="standup")
        standup.kind = ceremonies.STANDUP
        session.add(standup)


def _at_once(step: Callable[[str], Any]) -> None:
    """Run `step` for both workspaces at the same time."""
    failures: list[BaseException] = []

    def run(team: str) -> None:
        try:
            step(team)
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=run, args=(team,)) for team in (ALPHA, BETA)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not failures, failures


def _install_both(bot: BotServer) -> None:
    for team, name in ((ALPHA, "Alpha"), (BETA, "Beta")):
        page = bot.install(team, name)
        assert page.status == 200, page.body
        _workspace(bot, team)


def _propose(bot: BotServer, team: str) -> None:
    owner = PEOPLE[team][0]
    reply = bot.command(
        "/experiment", f"propose {team} retrieval", team=team, user=owner, channel=CHANNELS[team]
    )
    assert "EXP-1" in reply.text, reply.text


def test_the_install_page_sends_people_to_slack_with_the_manifests_scopes(bot: BotServer) -> None:
    page = bot.get("/slack/install")
    assert page.status == 200 and "Add to Slack" in page.body
    assert "client_id=1111.2222" in page.body
    assert "scope=commands,chat:write," in page.body.replace("%2C", ",").replace("%3A", ":")

    done = bot.install(ALPHA, "Alpha & Co")
    assert done.status == 200
    assert "Alpha &amp; Co" in done.body
    for step in ("/invite @AI Team Bot", "/aiteam role add", "/ceremony setup"):
        assert step in done.body
    assert "slack://app?team=T0ALPHA&amp;id=A1&amp;tab=home" in done.body
    with bot.db.read() as session:
        assert installs.installed_teams(session) == [ALPHA]


def test_an_install_link_used_twice_or_from_another_browser_installs_nothing(bot: BotServer) -> None:
    stray = bot.get(f"/slack/oauth_redirect?code={bot.slack.authorize(ALPHA)}&state=forged")
    assert stray.status == 400 and "Start the install again" in stray.body
    assert "another browser" in stray.body
    with bot.db.read() as session:
        assert installs.installed_teams(session) == []


def test_two_workspaces_doing_the_same_at_once_each_use_only_their_own_token(
    bot: BotServer, tick: Tick
) -> None:
    _install_both(bot)
    (alpha_token,), (beta_token,) = bot.slack.tokens_of(ALPHA), bot.slack.tokens_of(BETA)

    _at_once(lambda team: _propose(bot, team))  # a command, and the card it queues
    tick(MONDAY - timedelta(hours=1))
    _at_once(
        lambda team: bot.command(
            "/experiment", "submit EXP-1 notebook", team=team, user=PEOPLE[team][0], channel=CHANNELS[team]
        )
    )
    tick(MONDAY - timedelta(minutes=30))

    def click(team: str) -> None:  # a click on the review message: the card is redrawn
        channel = CHANNELS[team]
        (review,) = [m for (c, _), m in bot.slack.messages.items() if c == channel and m.get("thread_ts")]
        bot.toggle(channel, review["ts"], ids.CHECKLIST, "documentation", user=PEOPLE[team][0], team=team)

    _at_once(click)
    tick(MONDAY)  # the standups' reminders, and their DMs to each workspace's people

    by_team = _calls_by_team(bot.slack)
    for team, token in ((ALPHA, alpha_token), (BETA, beta_token)):
        calls = by_team[team]
        methods = {c.method for c in calls}
        assert {"chat.postMessage", "chat.update", "conversations.open", "conversations.members"} <= methods
        assert any(c.args["channel"].startswith("D") for c in calls if c.method == "chat.postMessage")
        assert {c.token for c in calls} == {token}, f"{team} was sent another workspace's token"
    # The one SLACK_BOT_TOKEN the test settings also hold is never used under OAuth.
    assert not [c for c in bot.slack.calls if c.token == "xoxb-test"]
    # Each workspace sees only its own experiment.
    for team in (ALPHA, BETA):
        listing = bot.command(
            "/experiment", "list all", team=team, user=PEOPLE[team][0], channel=CHANNELS[team]
        )
        assert f"{team} retrieval" in listing.body
        assert f"{ALPHA if team == BETA else BETA} retrieval" not in listing.body


def _deliveries(db: Database, team: str) -> list[Delivery]:
    with db.read() as session:
        return list(session.exec(select(Delivery).where(Delivery.team_id == team)).all())


def test_an_uninstall_stops_that_workspace_and_nothing_else_and_a_reinstall_resumes(
    bot: BotServer, tick: Tick, capsys: pytest.CaptureFixture[str]
) -> None:
    _install_both(bot)
    _at_once(lambda team: _propose(bot, team))  # both cards wait in the queue
    (alpha_token,) = bot.slack.tokens_of(ALPHA)

    assert bot.uninstall(ALPHA).status == 200
    stopped = _deliveries(bot.db, ALPHA)
    assert stopped and {(d.state, d.last_error) for d in stopped} == {("failed", installs.UNINSTALLED)}
    assert {d.state for d in _deliveries(bot.db, BETA)} == {"pending"}
    with bot.db.read() as session:
        assert installs.installed_teams(session) == [BETA]
    # What operators see: the gauge of installed workspaces counts the one left.
    assert _installed_gauge(bot) == 1

    tick(MONDAY)
    assert not [c for c in bot.slack.calls if c.token == alpha_token and c.method != "auth.test"]
    by_team = _calls_by_team(bot.slack)
    assert not by_team[ALPHA]  # no card, no standup reminder, no DM
    posted = [c.args["channel"] for c in by_team[BETA] if c.method == "chat.postMessage"]
    assert CHANNELS[BETA] in posted and "DUB_OWNER" in posted

    deliveries_cli(bot.db, argparse.Namespace(action="list", id=None, team=ALPHA))
    listing = capsys.readouterr().out
    assert "failed" in listing and f"error={installs.UNINSTALLED}" in listing

    # Installed again: the kept ceremonies resume with the new token.
    assert bot.install(ALPHA, "Alpha").status == 200
    new_token = bot.slack.tokens_of(ALPHA)[-1]
    tick(MONDAY + timedelta(days=1))
    alpha_posts = [c for c in _calls_by_team(bot.slack)[ALPHA] if c.method == "chat.postMessage"]
    assert CHANNELS[ALPHA] in [c.args["channel"] for c in alpha_posts]
    assert {c.token for c in alpha_posts} == {new_token}
    with bot.db.read() as session:
        paused = session.exec(select(Ceremony).where(Ceremony.team_id == ALPHA)).one().paused
    assert paused is False


def _installed_gauge(bot: BotServer) -> float:
    families = text_string_to_metric_families(bot.get("/metrics").body)
    return next(s.value for f in families for s in f.samples if s.name == "aiteam_installed_workspaces")


def test_a_revoked_bot_token_stops_the_workspace_like_an_uninstall(bot: BotServer) -> None:
    _install_both(bot)
    _propose(bot, BETA)
    assert bot.uninstall(BETA, event="tokens_revoked").status == 200
    assert {d.last_error for d in _deliveries(bot.db, BETA)} == {installs.UNINSTALLED}
    with bot.db.read() as session:
        assert installs.installed_teams(session) == [ALPHA]


@pytest.mark.parametrize("bot_settings", [{**OAUTH, "data_on_uninstall": "delete"}])
def test_data_on_uninstall_delete_leaves_no_row_of_that_workspace_anywhere(
    bot: BotServer, tick: Tick
) -> None:
    _install_both(bot)
    _at_once(lambda team: _propose(bot, team))
    tick(MONDAY)
    with bot.db.read() as session:
        before = installs.rows_of_team(session, team_id=ALPHA)
        beta_before = installs.rows_of_team(session, team_id=BETA)
    # Rows in many tables, Slack's own included, so the deletion below proves something.
    assert {"slack_bots", "slack_installations", "experiment", "delivery", "ceremony", "ceremonyrun"} <= set(
        before
    )

    bot.uninstall(ALPHA)
    with bot.db.read() as session:
        assert installs.rows_of_team(session, team_id=ALPHA) == {}
        assert installs.rows_of_team(session, team_id=BETA) == beta_before


def test_expiring_tokens_are_refreshed_through_the_store_for_requests_and_deliveries(
    bot: BotServer, tick: Tick
) -> None:
    # An hour to live: inside the two hours before expiry in which a token is refreshed.
    assert bot.install(ALPHA, "Alpha", expires_in=3600).status == 200
    _workspace(bot, ALPHA)
    (installed,) = bot.slack.tokens_of(ALPHA)

    _propose(bot, ALPHA)  # Bolt's authorize refreshes the token before the listener runs
    tick(MONDAY)  # the worker refreshes it again before posting the card

    refreshes = [
        c for c in bot.slack.calls_to("oauth.v2.access") if c.args.get("grant_type") == "refresh_token"
    ]
    assert len(refreshes) >= 2
    tokens = bot.slack.tokens_of(ALPHA)
    assert len(tokens) == 1 + len(refreshes)
    card = next(c for c in bot.slack.calls_to("chat.postMessage") if c.args["channel"] == CHANNELS[ALPHA])
    assert card.token in tokens[1:] and card.token != installed
    with bot.db.read() as session:
        assert installs.installed_teams(session) == [ALPHA]
