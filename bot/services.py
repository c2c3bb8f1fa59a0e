"""What listeners need besides Bolt's own arguments, injected through `context["services"]`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.settings import Settings
from storage.db import Database
from workflow.permissions import Policy


@dataclass(frozen=True)
class Services:
    settings: Settings
    db: Database

    @property
    def policy(self) -> Policy:
        return Policy(
            allow_self_approval=self.settings.allow_self_approval,
            admin_user_ids=self.settings.admin_user_ids,
        )


def services_of(context: Any) -> Services:
    return context["services"]
