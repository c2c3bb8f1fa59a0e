"""Domain errors. Their messages are written for the person who caused them."""


class WorkflowError(Exception):
    """A request the workflow refuses; `str(error)` is the user-facing reason."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(WorkflowError):
    """The request is malformed: bad id, text too long, unknown option."""


class NotFound(WorkflowError):
    """The thing named does not exist in this workspace."""


class NotAllowed(WorkflowError):
    """The person may not do this (wrong role, own work)."""


class InvalidTransition(WorkflowError):
    """The experiment is not in a state where this step is legal."""


class NotReady(InvalidTransition):
    """A step whose preconditions are unmet; `missing` names each one, for a list."""

    def __init__(self, message: str, missing: list[str]) -> None:
        super().__init__(message)
        self.missing = missing
