"""What a workflow step did, for the Slack surface to render."""

from __future__ import annotations

from dataclasses import dataclass

from storage.models import Experiment


@dataclass(frozen=True)
class Outcome:
    experiment: Experiment
    # False when the step had already happened (a double click, a retry): nothing was written.
    changed: bool = True
    # The status the experiment moved to, when it moved.
    moved_to: str | None = None
    # Plain text for the person who acted, when the step itself does not say it all.
    note: str | None = None
