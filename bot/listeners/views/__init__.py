"""Modal submissions, by callback id."""

from slack_bolt import App

from bot import ids
from bot.listeners.views import propose, reason


def register(app: App) -> None:
    app.view(ids.PROPOSE_MODAL)(propose.submit_propose)
    app.view(ids.REASON_MODAL)(reason.submit_reason)
