"""Slack surface: Bolt listeners, Block Kit builders, settings, entry point and scheduler."""
