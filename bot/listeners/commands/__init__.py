"""Slash commands. Each command is a table of subcommands; see `router.py`."""

from slack_bolt import App

from bot.listeners.commands import aiteam, ceremony, experiment, project
from bot.listeners.commands.router import command_listener


def register(app: App) -> None:
    app.command("/experiment")(command_listener(experiment.SUBCOMMANDS, experiment.usage))
    app.command("/aiteam")(command_listener(aiteam.SUBCOMMANDS, aiteam.usage))
    app.command("/ceremony")(command_listener(ceremony.SUBCOMMANDS, ceremony.usage))
    app.command("/project")(command_listener(project.SUBCOMMANDS, project.usage))
