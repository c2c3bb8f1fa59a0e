"""Button and checkbox listeners, by action id."""

from slack_bolt import App

from bot import ids
from bot.listeners.actions import bias_checks, learnings, retros, review, standups
from bot.listeners.actions.click import click_listener


def register(app: App) -> None:
    app.action(ids.REVIEW_APPROVE)(click_listener(review.approve_review))
    app.action(ids.REVIEW_REQUEST_CHANGES)(click_listener(review.request_changes))
    app.action(ids.REVIEW_REJECT)(click_listener(review.reject_review))
    app.action(ids.CHECKLIST)(click_listener(review.toggle_checklist))
    app.action(ids.SIGNOFF_APPROVE)(click_listener(review.approve_signoff))
    app.action(ids.SIGNOFF_REJECT)(click_listener(review.reject_signoff))
    app.action(ids.SHARE_UPDATE)(click_listener(standups.share_update))
    app.action(ids.ADD_NOTE)(click_listener(retros.add_note))
    app.action(ids.ACTION_DONE)(click_listener(retros.action_done))
    app.action(ids.RECORD_LEARNING)(click_listener(learnings.record_learning))
    app.action(ids.RECORD_BIAS_CHECK)(click_listener(bias_checks.record_bias_check))
