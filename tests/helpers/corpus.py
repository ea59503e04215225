"""The shared mail corpus (../shared/corpus/zammad): read where it lies, never copied in.

It is AGPL test data of a peer help desk, so the repository only points at it. Locally a
checkout without ../shared skips the corpus tests with the reason; under CI=true a missing
corpus fails them, like a missing server.
"""

from __future__ import annotations

import os
from pathlib import Path

from helpers.processes import skip_or_fail

CORPUS = Path(
    os.environ.get(
        "DESKTERM_CORPUS", Path(__file__).resolve().parents[3] / "shared" / "corpus" / "zammad"
    )
)


def require_corpus() -> Path:
    """The corpus folder; skips (locally) or fails (CI=true) when it is not there."""
    if not (CORPUS / "expectations.json").is_file():
        skip_or_fail(f"the mail corpus is not at {CORPUS} (set DESKTERM_CORPUS)")
    return CORPUS
