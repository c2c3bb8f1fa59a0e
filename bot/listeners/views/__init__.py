"""Modal submissions, by callback id."""

from slack_bolt import App

from bot import ids
from bot.listeners.views import propose


def register(app: App) -> None:
    app.view(ids.PROPOSE_MODAL)(propose.submit_propose)
