"""Paying what the bot owes Slack: workers that claim queued deliveries, render them from the
database, send them and record how it went. See `workflow/delivery.py` for the rules."""
