"""`/experiment`: one module per group of subcommands; this table is where they meet."""

from bot.listeners.commands.experiment import browse, propose
from bot.listeners.commands.router import Subcommand

USAGE = """*`/experiment` commands*
• `/experiment propose <hypothesis>`: propose an experiment (no text opens a form)
• `/experiment list [proposed|in_review|approved|production|mine|all]`: list experiments
• `/experiment show EXP-1`: everything about one experiment
• `/experiment help`: this text"""

SUBCOMMANDS: dict[str, Subcommand] = {
    "propose": propose.propose,
    "list": browse.list_experiments,
    "show": browse.show,
}


def usage() -> str:
    return USAGE
