"""`/project`: one module per group of subcommands; this table is where they meet."""

from bot.listeners.commands.project import browse, manage
from bot.listeners.commands.router import Subcommand

USAGE = """*`/project` commands*
• `/project create <name> [workstream]`: start a project (letters, digits, `-`; up to 40 characters) \
and post its card here; you become its owner (no text opens a form)
• `/project member add <name> @user [@user…]` / `/project member remove <name> @user`: the owner or an admin
• `/project milestone add <name> <YYYY-MM-DD> <title>`: any member; milestones are `M1`, `M2`…
• `/project milestone done <name> M1` / `/project milestone move <name> M1 <YYYY-MM-DD>`: any member
• `/project link <name> EXP-1` / `/project unlink <name> EXP-1`: the experiment's owner or a member
• `/project show <name>`, `/project list [mine|all]`, `/project history <name>`: only you see them
• `/project archive <name>`: the owner or an admin; the history stays
• `/project help`: this text"""

SUBCOMMANDS: dict[str, Subcommand] = {
    "create": manage.create,
    "member": manage.member,
    "members": manage.member,
    "milestone": manage.milestone,
    "link": manage.link,
    "unlink": manage.unlink,
    "archive": manage.archive,
    "show": browse.show,
    "list": browse.list_projects,
    "history": browse.show_history,
}


def usage() -> str:
    return USAGE
