"""What listeners need besides Bolt's own arguments, injected through `context["services"]`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.settings import Settings
from storage.db import Database


@dataclass(frozen=True)
class Services:
    settings: Settings
    db: Database


def services_of(context: Any) -> Services:
    return context["services"]
