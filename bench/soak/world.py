"""The simulated teams: workspaces (team ids), their channels, and people with roles."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

REVIEW_KINDS = ("technical", "ethics", "business")
SIGN_OFFS = ("technical_lead", "product_owner", "security")
CHECKLIST = ("model_performance", "safety_evaluation", "cost_projection", "documentation", "rollback_plan")


@dataclass
class Team:
    number: int
    team_id: str
    channels: tuple[str, str]
    admin: str
    owners: list[str]
    reviewers: dict[str, str]  # review kind -> user
    signers: dict[str, str]  # sign-off role -> user
    extra_signers: dict[str, str] = field(default_factory=dict)  # a second holder, for racing clicks

    @property
    def people(self) -> list[str]:
        return [
            self.admin,
            *self.owners,
            *self.reviewers.values(),
            *self.signers.values(),
            *self.extra_signers.values(),
        ]

    @property
    def ceremony_channel(self) -> str:
        return self.channels[0]


def build(teams: int) -> list[Team]:
    out = []
    for n in range(1, teams + 1):
        p = f"U{n}"
        out.append(
            Team(
                number=n,
                team_id=f"T0SOAK{n}",
                channels=(f"C{n}MAIN", f"C{n}LAB"),
                admin=f"{p}ADMIN",
                owners=[f"{p}OWNA", f"{p}OWNB", f"{p}OWNC"],
                reviewers={kind: f"{p}{kind[:4].upper()}" for kind in REVIEW_KINDS},
                signers={"technical_lead": f"{p}LEAD", "product_owner": f"{p}PROD", "security": f"{p}SECU"},
                extra_signers={"security": f"{p}SECB"},
            )
        )
    return out


def fake_world(teams: list[Team]) -> dict[str, Any]:
    """What the fake Slack must know: every person, and each channel with its members."""
    users = [{"id": u, "is_admin": u == t.admin} for t in teams for u in t.people]
    channels = [{"id": c, "name": c.lower(), "members": t.people} for t in teams for c in t.channels]
    return {"users": users, "channels": channels}
