"""The words a ticket is about, for finding tickets like it and saying why they are alike.

English words are lower-cased, stripped of common words (greetings, sign-offs,
function words) and folded to a crude stem so "refunds" meets "refund"; Korean,
Chinese and Japanese runs become the two-character pieces the search index holds
(`query.fts.bigrams`), so 退款 in one ticket meets 退款 inside 我要退款 in another.
Each term keeps a word as written, for showing as a reason.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from deskterm.query.fts import bigrams, korean_stem

MAX_CHARS = 3000  # the opening of a mail says what it is about
_WORD = re.compile(r"[^\W\d_]{3,}")
_CJK = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]{2,}")
_STOPWORDS = """
    a about above after again against all also am an and any are aren't as at be because been
    before being below between both but by can can't cannot could couldn't did didn't do does
    doesn't doing don't down during each few for from further get got had hadn't has hasn't have
    haven't having he her here hers herself him himself his how i i'd i'll i'm i've if in into is
    isn't it it's its itself just let's me more most mustn't my myself no nor not now of off on
    once only or other ought our ours ourselves out over own same she should shouldn't so some
    such than that that's the their theirs them themselves then there these they this those
    through to too under until up very was wasn't we were weren't what when where which while who
    whom why will with won't would wouldn't you your yours yourself yourselves
    hi hello hey dear thanks thank regards best cheers kind please could would team support
    morning afternoon evening there since still already yet really one two week weeks day days
    today yesterday tomorrow time ago sure like know need want help let see look looking
    didn doesn isn wasn aren haven hasn hadn couldn wouldn shouldn won don can
"""
STOPWORDS = frozenset(_STOPWORDS.split())


@dataclass(frozen=True, slots=True)
class Term:
    """One term: `key` compares (a stem, or a CJK pair), `word` shows."""

    key: str
    word: str
    cjk: bool = False


@functools.lru_cache(maxsize=65_536)  # training stems millions of words, few distinct
def stem(word: str) -> str:
    """A crude English stem: enough for refund/refunds/refunded to meet, never a word change."""
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def ticket_terms(text: str) -> list[Term]:
    """The distinct terms of `text` (subject and body), in the order they first appear."""
    text = text[:MAX_CHARS]
    seen: dict[str, Term] = {}
    for word in _WORD.findall(text.lower()):
        if word in STOPWORDS or _CJK.search(word):
            continue
        key = stem(word)
        if key not in seen:
            seen[key] = Term(key, word)
    for run in _CJK.findall(text):
        for pair in bigrams(korean_stem(run)):
            if len(pair) == 2 and pair not in seen:  # a long CJK body repeats its pairs
                seen[pair] = Term(pair, pair, cjk=True)
    return list(seen.values())


def term_keys(text: str) -> set[str]:
    """The keys of `ticket_terms(text)`, without building the terms (ranking reads many)."""
    text = text[:MAX_CHARS]
    keys = {stem(w) for w in set(_WORD.findall(text.lower())) - STOPWORDS}
    for run in _CJK.findall(text):
        keys.update(p for p in bigrams(korean_stem(run)) if len(p) == 2)
    return keys
