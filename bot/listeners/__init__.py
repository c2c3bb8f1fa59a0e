"""All Bolt listeners, grouped by kind; `register_listeners` is the one place they meet the app."""

from slack_bolt import App

from bot.listeners import actions, commands, events, views


def register_listeners(app: App, *, oauth: bool = False) -> None:
    """`oauth`: the app is installed through OAuth, so uninstalls and revoked tokens are heard."""
    commands.register(app)
    actions.register(app)
    views.register(app)
    events.register(app, oauth=oauth)
