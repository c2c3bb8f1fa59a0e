"""Modal submissions, by callback id."""

from slack_bolt import App

from bot import ids
from bot.listeners.views import bias_checks, learnings, projects, propose, reason, retros, standups, submit


def register(app: App) -> None:
    app.view(ids.PROPOSE_MODAL)(propose.submit_propose)
    app.view(ids.SUBMIT_MODAL)(submit.submit_submit)
    app.view(ids.PROJECT_CREATE_MODAL)(projects.submit_create)
    app.view(ids.REASON_MODAL)(reason.submit_reason)
    app.view(ids.STANDUP_MODAL)(standups.submit_answer)
    app.view(ids.RETRO_NOTE_MODAL)(retros.submit_note)
    app.view(ids.LEARNING_MODAL)(learnings.submit_learning)
    app.view(ids.BIAS_CHECK_MODAL)(bias_checks.submit_bias_check)
