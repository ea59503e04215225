"""The satisfaction survey's words and its links: what a customer can answer, and the
signed, expiring token in each link of the solved notice.

A token names one ticket by number and is signed with the store's survey secret
(itsdangerous, HMAC-SHA1 over the payload and the time it was made): a link whose
number was changed, or that was signed by another store, fails the check; one
older than `max_age` days is expired. Neither records anything.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from deskterm.errors import UsageError

if TYPE_CHECKING:
    from itsdangerous import TimestampSigner, URLSafeTimedSerializer

_SALT = "deskterm.survey"
EFFORT_MIN, EFFORT_MAX = 1, 7  # "How easy was it to get help?": 1 very hard ... 7 very easy
COMMENT_MAX = 2000


class Rating(StrEnum):
    GREAT = "great"
    OKAY = "okay"
    NOT_GOOD = "not_good"

    @property
    def label(self) -> str:
        return {"great": "Great", "okay": "Okay", "not_good": "Not good"}[self.value]


RATINGS = tuple(r.value for r in Rating)


class LinkProblem(Exception):
    """A survey link that must record nothing: `expired` (too old) or not (bad, tampered)."""

    def __init__(self, expired: bool) -> None:
        super().__init__("expired" if expired else "bad signature")
        self.expired = expired


@dataclass(frozen=True)
class Answer:
    """One answer from the landing page; each is kept, the latest is the ticket's."""

    rating: Rating
    effort: int | None = None
    comment: str = ""


def parse_answer(rating: str, effort: str | int | None = None, comment: str = "") -> Answer:
    """A checked answer, or a usage error naming the bad part."""
    try:
        chosen = Rating(rating.strip().lower().replace("-", "_").replace(" ", "_"))
    except ValueError:
        raise UsageError(f"survey rating {rating!r}: choose from {', '.join(RATINGS)}") from None
    score: int | None = None
    if effort not in (None, ""):
        text = str(effort).strip()
        if not text.isdecimal() or not EFFORT_MIN <= int(text) <= EFFORT_MAX:
            raise UsageError(
                f"survey effort {effort!r}: a number from {EFFORT_MIN} to {EFFORT_MAX}"
            )
        score = int(text)
    comment = comment.replace("\x00", "").strip()
    if len(comment) > COMMENT_MAX:
        raise UsageError(f"survey comment: at most {COMMENT_MAX} characters")
    return Answer(chosen, score, comment)


def describe(rating: str, effort: int | None) -> str:
    """An answer in a few words, as the ticket header shows it: `CSAT Great · effort 6/7`."""
    try:
        label = Rating(rating).label
    except ValueError:
        label = rating
    return f"CSAT {label}" + (f" · effort {effort}/{EFFORT_MAX}" if effort else "")


def _serializer(secret: str, at: datetime | None = None) -> URLSafeTimedSerializer:
    from itsdangerous import URLSafeTimedSerializer

    kwargs = {"at": int(at.timestamp())} if at is not None else {}
    return URLSafeTimedSerializer(secret, salt=_SALT, signer=_clock_signer(), signer_kwargs=kwargs)


@functools.cache
def _clock_signer() -> type[TimestampSigner]:
    """A signer that stamps the caller's clock (the service's, so tests can age a link)."""
    from itsdangerous import TimestampSigner

    class ClockSigner(TimestampSigner):
        def __init__(self, *args: Any, at: int | None = None, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.at = at

        def get_timestamp(self) -> int:
            return super().get_timestamp() if self.at is None else self.at

    return ClockSigner


def sign(secret: str, number: int, at: datetime) -> str:
    """The token of ticket `number`'s survey links, stamped `at`."""
    return str(_serializer(secret, at).dumps({"t": number}))


def verify(secret: str, token: str, max_age_days: int, now: datetime) -> int:
    """The ticket number a token names; LinkProblem when it is tampered, foreign or old."""
    from itsdangerous import BadData

    try:
        data, stamped = _serializer(secret).loads(token, return_timestamp=True)
    except BadData:
        raise LinkProblem(expired=False) from None
    if (now - stamped).total_seconds() > max_age_days * 86400:
        raise LinkProblem(expired=True)
    number = data.get("t") if isinstance(data, dict) else None
    if not isinstance(number, int) or isinstance(number, bool) or number < 1:
        raise LinkProblem(expired=False)
    return number


def links(base_url: str, token: str) -> dict[str, str]:
    """The solved notice's links, one per rating: `{{ survey.great }}` in its template."""
    root = base_url.rstrip("/")
    return {rating: f"{root}/survey/{token}/{rating}" for rating in RATINGS}
