"""Reading what people link in MLflow before anything is stored, for the command and the form."""

from __future__ import annotations

from mlplatform.client import Facts, Mlflow
from mlplatform.errors import PlatformError
from workflow import links
from workflow.errors import InvalidInput

NOT_CONNECTED = (
    "MLflow is not connected here (MLFLOW_TRACKING_URI is not set); record metrics by hand with "
    "`/experiment metric`."
)


def read(mlflow: Mlflow | None, asked: list[links.Asked]) -> list[tuple[links.Asked, Facts]]:
    """What MLflow says of each link now; InvalidInput naming the first it could not read (an
    unknown run, a refusing or unreachable server). Called after the ack: it may take seconds."""
    if not asked:
        return []
    if mlflow is None:
        raise InvalidInput(NOT_CONNECTED)
    found: list[tuple[links.Asked, Facts]] = []
    for one in asked:
        try:
            found.append((one, mlflow.read(one.link)))
        except PlatformError as error:
            raise InvalidInput(f"Nothing was linked: {error}.") from None
    return found
