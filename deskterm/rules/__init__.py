"""Automation rules: triggers, conditions in the shared query syntax, actions."""
