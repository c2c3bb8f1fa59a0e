"""Numbers people type: a metric's value, a criterion's threshold."""

from __future__ import annotations

import math

from workflow.errors import InvalidInput


def finite(raw: str, *, token: str) -> float:
    """`raw` as a finite float, or an InvalidInput naming it within the `token` it came from."""
    try:
        value = float(raw.strip())
    except ValueError:
        raise InvalidInput(f"`{raw[:40]}` is not a number (in `{token[:40]}`).") from None
    if not math.isfinite(value):
        raise InvalidInput(f"`{raw[:40]}` is not a finite number.")
    return value
