"""What can go wrong talking to MLflow, in three kinds the bot answers differently."""

from __future__ import annotations


class PlatformError(Exception):
    """An MLflow call that did not give an answer to use. `permanent`: trying again will not help."""

    permanent = False


class NotFound(PlatformError, LookupError):
    """MLflow has no such run, model version or alias."""

    permanent = True


class Refused(PlatformError, PermissionError):
    """MLflow refused the bot's credentials, or the request."""

    permanent = True


class Unreachable(PlatformError, ConnectionError):
    """No answer from MLflow, or its own trouble (5xx): try again later."""


class NotConfigured(PlatformError):
    """MLFLOW_TRACKING_URI is not set, or MLflow's client is not installed."""

    permanent = True
