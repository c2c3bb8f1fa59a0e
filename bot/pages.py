"""The web pages an installer sees after "Add to Slack": pure builders of small HTML pages."""

from __future__ import annotations

from html import escape
from urllib.parse import quote

BOT_NAME = "@AI Team Bot"

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;
line-height:1.5}}code{{background:#f3f3f3;padding:0 .25rem}}</style></head>
<body>
<h1>{title}</h1>
{body}
</body>
</html>
"""


def app_home_url(*, team_id: str, app_id: str) -> str:
    """Slack's deep link to the app's Home tab in a workspace (opens the desktop or web app)."""
    return f"slack://app?team={quote(team_id)}&id={quote(app_id)}&tab=home"


def installed(*, team_name: str, team_id: str, app_id: str) -> str:
    """Shown when an install (or a reinstall) completed: what to do next, in Slack."""
    body = f"""<p>AI Team Bot is installed in <strong>{escape(team_name)}</strong>. Three steps in Slack and
the team is running:</p>
<ol>
<li><strong>Invite the bot</strong> to the team's channel, and to every channel where you will propose
experiments: <code>/invite {BOT_NAME}</code></li>
<li><strong>Give the roles</strong> (a workspace admin or owner):
<code>/aiteam role add @someone technical_reviewer</code>; <code>/aiteam roles</code> shows them.</li>
<li><strong>Set up the ceremonies</strong> in the team's channel: <code>/ceremony setup #team</code></li>
</ol>
<p>Then propose the first experiment: <code>/experiment propose &lt;hypothesis&gt;</code>.</p>
<p><a href="{escape(app_home_url(team_id=team_id, app_id=app_id))}">Open the bot's App Home in Slack</a>:
it lists what waits on you.</p>"""
    return _PAGE.format(title="AI Team Bot is installed", body=body)


# What went wrong, by the reason Bolt gives, for someone who only clicked "Allow".
_REASONS = {
    "access_denied": "the install was cancelled in Slack",
    "invalid_browser": "the install started in another browser, or its cookie was lost",
    "invalid_state": "the install link expired (it lasts ten minutes) or was already used",
    "missing_code": "Slack did not send the install back complete",
    "invalid_code": "Slack refused the install code",
    "storage_error": "the bot could not save the installation",
}


def install_failed(reason: str, *, retry: str) -> str:
    """Shown when an install did not complete: why, and a link to start again."""
    why = _REASONS.get(reason, f"Slack said {reason}")
    body = f"""<p>The app was not installed: {escape(why)}.</p>
<p><a href="{escape(retry)}">Start the install again</a>.</p>"""
    return _PAGE.format(title="AI Team Bot was not installed", body=body)
