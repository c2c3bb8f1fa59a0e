"""The project's front door stays true: manifest, README, CI and registered commands agree."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import yaml

from tests.harness import BotServer

ROOT = Path(__file__).resolve().parent.parent
# Slack's published schema, vendored (source and date in its README).
SCHEMA = ROOT / "tests" / "data" / "slack-manifest-schema" / "manifest.schema.1.0.0.json"


def _manifest() -> dict:
    return yaml.safe_load((ROOT / "manifest.yml").read_text())


def test_manifest_matches_slacks_schema() -> None:
    manifest = _manifest()
    assert manifest["_metadata"]["major_version"] == 1, "the vendored schema is the 1.x one"
    jsonschema.Draft7Validator(json.loads(SCHEMA.read_text())).validate(manifest)


def test_manifest_commands_escape_mentions_and_socket_mode_has_no_urls() -> None:
    manifest = _manifest()
    commands = manifest["features"]["slash_commands"]
    assert {c["command"] for c in commands} == {"/experiment", "/aiteam", "/ceremony", "/project"}
    assert all(c["should_escape"] is True for c in commands)
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert all("url" not in c for c in commands)
    assert "request_url" not in manifest["settings"]["interactivity"]


def test_the_manifest_subscribes_to_exactly_the_events_the_bot_listens_to() -> None:
    from bot.listeners.events import BOT_EVENTS

    subscribed = _manifest()["settings"]["event_subscriptions"]["bot_events"]
    assert sorted(subscribed) == sorted(BOT_EVENTS)


def test_every_usage_hint_names_every_subcommand() -> None:
    from bot.listeners.commands import aiteam, ceremony, experiment, project

    routers = {"/experiment": experiment, "/aiteam": aiteam, "/ceremony": ceremony, "/project": project}
    for command in _manifest()["features"]["slash_commands"]:
        hint = command["usage_hint"]
        words = set(re.findall(r"[a-z_]+", hint))
        assert "help" in words, command["command"]
        # An alias (`metrics` for `metric`) need not be named; one of a handler's names must.
        names_by_handler: dict[object, set[str]] = {}
        for name, handler in routers[command["command"]].SUBCOMMANDS.items():
            names_by_handler.setdefault(handler, set()).add(name)
        missing = [sorted(names) for names in names_by_handler.values() if not names & words]
        assert not missing, f"{command['command']} usage_hint omits {missing}"


def test_ci_runs_exactly_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"```sh\n(.+?)\n```", readme)
    test_command = next(c for c in commands if "pytest" in c)
    assert test_command in (ROOT / ".ci" / "run").read_text()


def test_every_manifest_command_answers_help(bot: BotServer) -> None:
    for command in _manifest()["features"]["slash_commands"]:
        reply = bot.command(command["command"], "help")
        assert reply.status == 200, f"{command['command']} has no listener"
        assert reply.response_type == "ephemeral"
        assert command["command"] in reply.text
