"""Button and checkbox listeners, by action id."""

from slack_bolt import App

from bot import ids
from bot.listeners.actions import review


def register(app: App) -> None:
    app.action(ids.REVIEW_APPROVE)(review.approve_review)
    app.action(ids.REVIEW_REQUEST_CHANGES)(review.request_changes)
    app.action(ids.REVIEW_REJECT)(review.reject_review)
    app.action(ids.CHECKLIST)(review.toggle_checklist)
    app.action(ids.SIGNOFF_APPROVE)(review.approve_signoff)
    app.action(ids.SIGNOFF_REJECT)(review.reject_signoff)
