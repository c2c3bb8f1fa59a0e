"""One sender per delivery kind: render from the database as it is now, call Slack, record ts.

A sender holds no transaction while Slack answers: it reads, closes the unit of work, calls
Slack, then records what Slack returned in a new short one. It raises what the Web API raised
(classified by the worker), or returns a note when there was nothing (left) to send.

Adding a kind of delivery is its `Spec` in `workflow/delivery/kinds.py` and one function here,
in the module named for its subject, decorated with `@sends(Kind.X)`. Every module of this
package is imported below, so the registration is the decorator alone; a kind with no sender
fails here, at import, rather than at its first delivery.
"""

from __future__ import annotations

import importlib
import pkgutil

from bot.delivery.senders.posting import NothingToSend, SendContext, Sender
from bot.delivery.senders.registry import SENDERS, sends
from workflow.delivery import Kind

__all__ = ["SENDERS", "NothingToSend", "SendContext", "Sender", "sends"]

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")

_missing = set(Kind) - SENDERS.keys()
if _missing:
    raise RuntimeError(f"delivery kinds without a sender: {sorted(_missing)}")
