"""`/aiteam`: roles, away days and flow insights. One module per group of subcommands; this
table is where they meet."""

from bot.listeners.commands.aiteam import away, insights, notify, roles
from bot.listeners.commands.router import Subcommand

USAGE = """*`/aiteam` commands*
• `/aiteam roles`: who holds which role
• `/aiteam role add @user <role>`: give someone a role (admins)
• `/aiteam role remove @user <role>`: take it back (admins)
• `/aiteam away [until YYYY-MM-DD] [reason]`: you're away (through that day, or until you're back): \
no standup prompts, follow-ups or review nudges
• `/aiteam back`: you're back
• `/aiteam insights [30d|90d|all]`: where the team's work waits: time per stage, review waits per \
review and reviewer, work in progress (default `30d`)
• `/aiteam notify off|on`: DMs about your own experiments (reviews complete, changes requested, \
rejected, decisions gone stale, a sign-off request expired, production); on by default
• `/aiteam help`: this text
Roles decide who may click what: reviewers decide reviews, `technical_lead`, `product_owner` and \
`security` sign off production. Workspace admins and owners, `ADMIN_USER_IDS` and holders of `admin` \
may change roles."""

SUBCOMMANDS: dict[str, Subcommand] = {
    "roles": roles.show_roles,
    "role": roles.change_role,
    "away": away.away,
    "back": away.back,
    "insights": insights.show_insights,
    "notify": notify.notify,
}


def usage() -> str:
    return USAGE
