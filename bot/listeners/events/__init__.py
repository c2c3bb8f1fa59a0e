"""Events API listeners."""

from slack_bolt import App

from bot.listeners.events import app_home


def register(app: App) -> None:
    app.event("app_home_opened")(app_home.app_home_opened)
