"""The ML platform the team's evidence lives in (MLflow), seen from the bot.

Like `handover`, this package is no layer: it knows nothing of Slack, the rules or the tables.
It parses the links people paste (`links`), reads and writes the tracking server and its model
registry through MLflow's own client (`client`), and checks MLflow's signed webhooks
(`webhooks`). The workflow decides what the facts mean; the bot wires the client in.
"""
