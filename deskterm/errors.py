"""One error tree: every message is one line saying what failed and what to do."""

from __future__ import annotations


class DesktermError(Exception):
    """Base of every expected failure; the CLI prints it as one line, the app as a toast."""

    exit_code = 1


class UsageError(DesktermError):
    """The user asked for something malformed (bad query, unknown option value)."""

    exit_code = 2


class ConfigError(DesktermError):
    """The config file is missing, unreadable or holds a bad value."""

    exit_code = 2


class StoreError(DesktermError):
    """The store file is missing, corrupt, locked or from a newer version."""


class NotFoundError(DesktermError):
    """A ticket, message, customer or canned reply does not exist."""


class QuerySyntaxError(UsageError):
    """A query string could not be parsed; the message points at the bad token."""


class TemplateError(DesktermError):
    """A canned reply template does not parse or render."""


class MailError(DesktermError):
    """A mail could not be fetched, parsed or sent."""


class SyncError(DesktermError):
    """The team server could not be reached, or refused a replica's sync."""


class AuthError(DesktermError):
    """A password or token was refused."""
