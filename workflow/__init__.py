"""Workflow layer: the rules of the experiment lifecycle, roles and ceremonies.

Plain Python that knows nothing of Slack. Functions take a session, change rows and return
domain objects, or raise a `WorkflowError` whose message is fit to show the user.
"""
