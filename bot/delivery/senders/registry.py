"""The sender of each kind of delivery, registered where it is written with `@sends(Kind.X)`."""

from __future__ import annotations

from collections.abc import Callable

from bot.delivery.senders.posting import Sender
from workflow.delivery import Kind

SENDERS: dict[Kind, Sender] = {}


def sends(kind: Kind) -> Callable[[Sender], Sender]:
    """Register the decorated function as the one sender of `kind`."""

    def register(sender: Sender) -> Sender:
        if kind in SENDERS:
            raise RuntimeError(
                f"two senders for {kind}: {SENDERS[kind].__qualname__} and {sender.__qualname__}"
            )
        SENDERS[kind] = sender
        return sender

    return register
