"""The bot token scopes the bot uses; manifest.yml asks for exactly these (a test checks)."""

from __future__ import annotations

from typing import Final

CORE_SCOPES: Final = (
    "commands",  # /experiment, /aiteam, /ceremony
    "chat:write",  # cards, thread replies, reminders, nudges, ephemeral answers
    "chat:write.public",  # post a ceremony to a public channel the bot was not invited to
    "users:read",  # users.info: workspace admins, timezones
    "channels:read",  # conversations.info on public channels (/ceremony setup, doctor)
    "groups:read",  # the same, private channels; and conversations.members (standup participants)
    "im:write",  # conversations.open: standup prompts and follow-ups by DM
    "files:write",  # files_upload_v2: the retro's flow chart, in its reminder's thread
    # After a post whose answer was lost, look for it (by its metadata) before posting again.
    "channels:history",
    "groups:history",
)
# Previews of MLflow links (`link_shared`, `chat.unfurl`): used only when MLFLOW_TRACKING_URI is
# set, so `doctor` asks for them only then, and an install from an older manifest keeps working.
UNFURL_SCOPES: Final = ("links:read", "links:write")
BOT_SCOPES: Final = (*CORE_SCOPES, *UNFURL_SCOPES)
