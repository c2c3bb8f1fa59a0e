"""Parsing what people type: project names, milestone titles, dates and numbers, no pings."""

from __future__ import annotations

import re
from datetime import date

from workflow.errors import InvalidInput

NAME_MAX_CHARS = 40
TITLE_MAX_CHARS = 150
DESCRIPTION_MAX_CHARS = 1000
_NAME = re.compile(r"^[A-Za-z0-9-]+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MILESTONE = re.compile(r"^M(\d{1,6})$", re.IGNORECASE)
# Broadcasts, as typed (`@channel`) or as Slack escapes them (`<!channel>`).
_PING = re.compile(r"<!(channel|here|everyone)[|>]|@(channel|here|everyone)\b", re.IGNORECASE)


def validate_name(text: str) -> str:
    name = text.strip()
    if not name:
        raise InvalidInput("Name the project: a short slug like `support-bot`.")
    if len(name) > NAME_MAX_CHARS:
        raise InvalidInput(
            f"A project name is at most {NAME_MAX_CHARS} characters; that one has {len(name)}."
        )
    if not _NAME.match(name):
        raise InvalidInput(
            f"`{name[:NAME_MAX_CHARS]}` is not a project name: use letters, digits and `-` only, no spaces "
            "(e.g. `support-bot`)."
        )
    return name


def refuse_pings(text: str) -> str:
    if _PING.search(text):
        raise InvalidInput("Text can't ping `@channel`, `@here` or `@everyone`; nothing was saved.")
    return text


def validate_title(text: str) -> str:
    title = refuse_pings(" ".join(text.split()))
    if not title:
        raise InvalidInput("Give the milestone a title, e.g. `Pilot with support team`.")
    if len(title) > TITLE_MAX_CHARS:
        raise InvalidInput(
            f"A milestone title is at most {TITLE_MAX_CHARS} characters; that one has {len(title)}."
        )
    return title


def parse_date(text: str, *, today: date) -> date:
    """`YYYY-MM-DD`, today or later."""
    raw = text.strip()
    try:
        if not _DATE.match(raw):
            raise ValueError(raw)
        day = date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(
            f"`{raw[:20]}` is not a date; write it as `YYYY-MM-DD`, e.g. `2026-12-15`."
        ) from None
    if day < today:
        raise InvalidInput(f"{day.isoformat()} is in the past; choose today ({today.isoformat()}) or later.")
    return day


def parse_milestone(text: str) -> int:
    match = _MILESTONE.match(text.strip())
    if not match or int(match.group(1)) == 0:
        raise InvalidInput(f"`{text.strip()[:20]}` is not a milestone; milestones are `M1`, `M2`…")
    return int(match.group(1))
