"""`/experiment`: one module per group of subcommands; this table is where they meet."""

from bot.listeners.commands.experiment import browse, learnings, lifecycle, propose
from bot.listeners.commands.router import Subcommand

USAGE = """*`/experiment` commands*
• `/experiment propose [project:<name>] <hypothesis>`: propose an experiment, serving that project \
if named (no text opens a form)
• `/experiment submit EXP-1 <artifact links or notes>`: send it to review (owner); include \
`rollback: <plan>` for the deployment plan. Also resubmits after changes were requested.
• `/experiment promote EXP-1`: ask for production sign-off once reviewed (owner), or see what is missing
• `/experiment metric EXP-1 accuracy=0.91 latency_ms=420`: record metrics
• `/experiment evidence EXP-1 <MLflow run URL, runs:/<id>, models:/<name>/<version>>`: link evidence \
from MLflow (`baseline:<run>` for the run to compare with)
• `/experiment criteria EXP-1 accuracy>=0.90 latency_ms<=500`: declare the success criteria (`none` \
clears them); also `/experiment propose criteria:accuracy>=0.9,latency_ms<=500 <hypothesis>`
• `/experiment withdraw EXP-1 [reason]`: withdraw it (owner)
• `/experiment list [proposed|in_review|approved|production|mine|all]`: list experiments
• `/experiment show EXP-1`: everything about one experiment
• `/experiment history EXP-1`: its audit trail, every step with who and when
• `/experiment learn EXP-1 <what we learned>`: record a learning (closed experiments also get a \
*Record a learning* button in their thread)
• `/experiment learnings [words…]`: the newest learnings, or those matching every word (text and tags)
• `/experiment help`: this text
Reviews, the checklist and sign-offs are buttons in the experiment card's thread."""

SUBCOMMANDS: dict[str, Subcommand] = {
    "propose": propose.propose,
    "submit": lifecycle.submit,
    "promote": lifecycle.promote,
    "metric": lifecycle.metric,
    "metrics": lifecycle.metric,
    "withdraw": lifecycle.withdraw,
    "evidence": lifecycle.evidence,
    "criteria": lifecycle.criteria,
    "list": browse.list_experiments,
    "show": browse.show,
    "history": browse.show_history,
    "learn": learnings.learn,
    "learnings": learnings.search,
}


def usage() -> str:
    return USAGE
