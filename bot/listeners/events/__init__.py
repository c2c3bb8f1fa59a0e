"""Events API listeners."""

from slack_bolt import App

from bot.listeners.events import app_home, installs


def register(app: App, *, oauth: bool = False) -> None:
    app.event("app_home_opened")(app_home.app_home_opened)
    if oauth:
        app.event("app_uninstalled")(installs.app_uninstalled)
        app.event("tokens_revoked")(installs.tokens_revoked)
