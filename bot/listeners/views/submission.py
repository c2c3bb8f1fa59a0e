"""What a modal submission carries, read once: who submitted it, in which workspace, the modal's
private metadata, and typed accessors to each input by its block id.

An input block holds exactly one element, so its block id alone names the state Slack reports
(`state.values[block_id][action_id]`). A block the payload lacks (an optional field left out, a
form from an older version) reads as empty, never raises.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# Shown under a field when the modal's private metadata cannot be read.
STALE_FORM = "This form is from an older version of the bot; close it and open it again."


@dataclass(frozen=True)
class Submission:
    team_id: str
    user_id: str
    metadata: str
    values: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @classmethod
    def parse(cls, body: dict[str, Any]) -> Submission:
        """The Bolt body of a `view_submission`."""
        view = body.get("view") or {}
        user = body.get("user") or {}
        return cls(
            team_id=(body.get("team") or {}).get("id") or user.get("team_id", ""),
            user_id=user.get("id", ""),
            metadata=view.get("private_metadata") or "",
            values=(view.get("state") or {}).get("values") or {},
        )

    def _state(self, block_id: str) -> Mapping[str, Any]:
        elements = self.values.get(block_id) or {}
        return next(iter(elements.values()), None) or {}

    def text(self, block_id: str) -> str | None:
        """A plain text input's value, as Slack reports it (None when left empty)."""
        return self._state(block_id).get("value")

    def selected(self, block_id: str) -> str | None:
        """The value of the option chosen in a static select or radio buttons; None if none."""
        return (self._state(block_id).get("selected_option") or {}).get("value")

    def checked(self, block_id: str) -> list[str]:
        """The values of the ticked checkboxes (or of a multi select's options), in order."""
        return [o.get("value", "") for o in self._state(block_id).get("selected_options") or []]

    def user(self, block_id: str) -> str | None:
        """The person picked in a users select; None if nobody."""
        return self._state(block_id).get("selected_user")

    def users(self, block_id: str) -> list[str]:
        """The people picked in a multi users select."""
        return list(self._state(block_id).get("selected_users") or [])
