"""`/ceremony`: one module per group of subcommands; this table is where they meet."""

from bot.listeners.commands.ceremony import actions, browse, holidays, manage, participants
from bot.listeners.commands.router import Subcommand

USAGE = """*`/ceremony` commands*
• `/ceremony setup #channel [timezone]`: install the standup (weekdays 09:30), experiment review \
(weekly), ethics review and retro (bi-weekly) for the channel; running it again adds only what is missing
• `/ceremony add <name> #channel <schedule> [timezone]`: a ceremony of your own, e.g. \
`/ceremony add design-sync #design weekly tue 11:00 Europe/Berlin`
• `/ceremony list`: every ceremony with its next reminder, in its own timezone
• `/ceremony edit <name> schedule <schedule> [timezone]` | `timezone <tz>` | `channel #channel` | \
`duration <minutes>` | `close <minutes>` (standups: when answers are summarised, default 120) | \
`local on|off` (standups: ask each participant at its time in their own timezone; default off)
• `/ceremony participants <standup> [@a @b … | channel]`: who the standup asks (default: the \
channel's people)
• `/ceremony pause <name>`, `/ceremony resume <name>`, `/ceremony remove <name>`
• `/ceremony run <name>`: post its reminder now
• `/ceremony holiday add <YYYY-MM-DD> [name]`, `/ceremony holiday remove <YYYY-MM-DD>`, \
`/ceremony holidays`: workspace holidays, when no ceremony is posted
• `/ceremony actions [mine]`: the retros' open action items (yours), each with its Done button
• `/ceremony help`: this text
Schedules: `daily 09:30`, `weekdays 09:30`, `weekly wed 14:00`, `biweekly fri 16:00` \
(add `from 2026-12-04` to choose the weeks), 24-hour time. Timezones are IANA names such as \
`Australia/Sydney`; the default is the workspace's."""

SUBCOMMANDS: dict[str, Subcommand] = {
    "setup": manage.setup,
    "add": manage.add,
    "edit": manage.edit,
    "pause": manage.pause,
    "resume": manage.resume,
    "remove": manage.remove,
    "list": browse.list_ceremonies,
    "run": browse.run,
    "holiday": holidays.holiday,
    "holidays": holidays.holidays,
    "participants": participants.participants,
    "actions": actions.actions,
}


def usage() -> str:
    return USAGE
