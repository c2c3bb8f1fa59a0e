"""Button and checkbox listeners, by action id."""

from slack_bolt import App


def register(app: App) -> None:
    """Registered by the review and promotion features."""
