"""The composition root: one place builds the Service from the config and runs solo mode.

The app, the CLI and the team server ask a `Runtime` for a store, a Service and
(solo mode) the background work: the minute loop, the sender and store watching.
"""

from deskterm.runtime.listener import RuntimeListener
from deskterm.runtime.root import Runtime, Timings

__all__ = ["Runtime", "RuntimeListener", "Timings"]
