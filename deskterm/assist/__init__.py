"""Assist: urgency and mood, similar tickets, suggestions; local, offline, explainable."""
