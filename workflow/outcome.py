"""What a workflow step did, for the Slack surface to render."""

from __future__ import annotations

from dataclasses import dataclass

from storage.models import Experiment, Project
from workflow import subjects
from workflow.refs import Ref, Subject


@dataclass(frozen=True)
class Outcome:
    # What the step acted on: an experiment or a project.
    subject: Experiment | Project
    # False when the step had already happened (a double click, a retry): nothing was written.
    changed: bool = True
    # The status the subject moved to, when it moved.
    moved_to: str | None = None
    # Plain text for the person who acted, when the step itself does not say it all.
    note: str | None = None

    @property
    def ref(self) -> Ref:
        return subjects.ref_of(self.subject)

    @property
    def experiment(self) -> Experiment:
        """The experiment the step acted on; a step on anything else has none."""
        if self.ref.kind is not Subject.EXPERIMENT:
            raise TypeError(f"the outcome is about {self.ref}, not an experiment")
        assert isinstance(self.subject, Experiment)
        return self.subject
