"""Urgency and mood of a customer message, with the words that decided them.

A flag an agent cannot check is a flag they stop trusting, so this looks for
cue phrases (see `tone_words`) rather than scoring with a model: the result
carries the exact words that raised it. Calm phrases ("no rush", 不急) cancel
the cues they overlap, and an English cue within three words after a negation
("don't need it immediately") does not count.

English is matched as phrases of whole words: a dict lookup per word, so a
message without any cue costs a few microseconds (a regex alternation over the
lexicon cost 270 µs a message, which a million-ticket demo or ingest cannot pay).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from itertools import product

from deskterm.assist import tone_words as words

# Long mails: the tone is set in the opening; reading megabytes says nothing more.
MAX_CHARS = 8000
MAX_WORDS = 5
SEPARATOR = ", "
_BREAK = "|"  # a sentence end: phrases and negations do not reach across it
_NEGATIONS = frozenset({"not", "no", "never", "without", "nothing"})
_TIME = re.compile(words.TIME_TOKEN)
_SLOTS = frozenset({"#time", "#num"})  # phrase slots a word of the message fills
# Punctuation to spaces, sentence ends to breaks (spaced out after). Two regex passes,
# not str.translate: on text with any non-ASCII character translate took 45 µs for 700
# characters, these 6.
_SPACED = re.compile(r'[,:()\[\]{}"*_/\\<>~]')
_ENDS = re.compile(r"[.!?;\n]")
# Three words in capitals in a row: shouting (acronyms come one or two at a time).
_SHOUT = re.compile(r"[A-Z]{2,}[!?.,]*(?: +[A-Z]{2,}[!?.,]*){2,}")
_QUOTED = re.compile(r"^[ \t]*>.*$", re.M)

Phrase = tuple[str, ...]


def _expand(entry: str) -> Iterator[Phrase]:
    """All word sequences an entry spells ("a/b c?" is "a c", "a", "b c", "b")."""
    slots = []
    for slot in entry.split():
        optional = slot.endswith("?")
        choices = slot.rstrip("?").split("/")
        slots.append([*choices, ""] if optional else choices)
    for combo in product(*slots):
        yield tuple(w for w in combo if w)


def _anchor(phrase: Phrase) -> int:
    """The phrase's least common-looking word (its longest), where lookups start."""
    return max(
        (i for i, w in enumerate(phrase) if w not in _SLOTS), key=lambda i: (len(phrase[i]), i)
    )


Entry = tuple[Phrase, int, frozenset[str]]  # the phrase, its anchor's place, its plain words
Table = dict[str, tuple[Entry, ...]]


def _table(entries: tuple[str, ...]) -> Table:
    """Phrases by their anchor word (with its place in the phrase), longest first."""
    table: dict[str, set[Entry]] = {}
    for entry in entries:
        for phrase in _expand(entry):
            at = _anchor(phrase)
            words = frozenset(w for w in phrase if w not in _SLOTS)
            table.setdefault(phrase[at], set()).add((phrase, at, words))
    return {k: tuple(sorted(v, key=lambda p: (-len(p[0]), p[0]))) for k, v in table.items()}


def _cjk(phrases: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True)))


_URGENT = _table(words.URGENT_EN)
_CALM = _table(words.CALM_EN)
_UPSET = _table(words.UPSET_EN)
_CALM_UPSET = _table(words.CALM_UPSET_EN)
_URGENT_CJK = _cjk(words.URGENT_CJK)
_CALM_CJK = _cjk(words.CALM_CJK)
_UPSET_CJK = _cjk(words.UPSET_CJK)
_CALM_UPSET_CJK = _cjk(words.CALM_UPSET_CJK)
_PAST = _cjk(words.CJK_PAST)
_CJK_END = re.compile(r"[.!?。！？\n]")
_NEAR = 16  # characters around a CJK cue read for history or a feature
_FEATURE = _cjk(words.CJK_FEATURE)


@dataclass(frozen=True, slots=True)
class Tone:
    """The words that made a message read urgent and upset; empty when it does not."""

    urgent: tuple[str, ...] = ()
    upset: tuple[str, ...] = ()

    @classmethod
    def stored(cls, urgent: str | None, upset: str | None) -> Tone:
        """From the store's columns (`SEPARATOR`-joined words; NULL when not read yet)."""
        return cls(_split(urgent), _split(upset))

    @property
    def urgent_text(self) -> str:
        return SEPARATOR.join(self.urgent)

    @property
    def upset_text(self) -> str:
        return SEPARATOR.join(self.upset)


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(value.split(SEPARATOR)) if value else ()


@dataclass(frozen=True, slots=True)
class Cues:
    """The cue words of one text (a subject or a body), in the order `tone_of` lists them.

    Read apart so a mail's cues can be read where it is parsed, before anyone knows
    whether it opens a ticket (then its subject counts) or joins one (then it does not).
    """

    urgent: tuple[str, ...] = ()  # English phrases
    urgent_cjk: tuple[str, ...] = ()
    upset: tuple[str, ...] = ()
    upset_cjk: tuple[str, ...] = ()
    marks: tuple[str, ...] = ()  # "!!!" and shouting: read in a body only


def read_tone(body: str, subject: str = "") -> Tone:
    """The tone of a customer's message; `subject` only for the message opening a ticket."""
    return tone_of(body_cues(body), subject_cues(subject) if subject else None)


def tone_of(body: Cues, subject: Cues | None = None) -> Tone:
    """One message's tone: the subject's phrases before the body's, English before CJK."""
    s = subject or Cues()
    return Tone(
        _top([*s.urgent, *body.urgent, *s.urgent_cjk, *body.urgent_cjk]),
        _top([*s.upset, *body.upset, *s.upset_cjk, *body.upset_cjk, *body.marks]),
    )


def subject_cues(subject: str) -> Cues:
    return _cues(subject.lower())


def body_cues(body: str) -> Cues:
    """A body's cues: its opening `MAX_CHARS`, quoted lines left out."""
    text = body[:MAX_CHARS]
    if ">" in text:
        text = _QUOTED.sub("", text)
    marks = ["!!!"] if "!!!" in text else []
    shout = _SHOUT.search(text)
    if shout is not None:
        marks.append(shout.group(0).lower().rstrip("!?.,"))
    return replace(_cues(text.lower()), marks=tuple(marks))


def _cues(lowered: str) -> Cues:
    spaced = _ENDS.sub(
        _BREAK, _SPACED.sub(" ", lowered.replace("a.s.a.p", "asap").replace("’", "'"))
    )
    tokens = spaced.replace(_BREAK, f" {_BREAK} ").split()
    present = set(tokens)
    urgent = tuple(_phrases(tokens, present, _URGENT, _CALM))
    upset = tuple(_phrases(tokens, present, _UPSET, _CALM_UPSET))
    if lowered.isascii():  # every CJK cue holds a letter outside ASCII
        return Cues(urgent, (), upset, ())
    return Cues(
        urgent,
        tuple(_substrings(lowered, _URGENT_CJK, _CALM_CJK)),
        upset,
        tuple(_substrings(lowered, _UPSET_CJK, _CALM_UPSET_CJK)),
    )


def _top(found: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(found))[:MAX_WORDS]


def _spans(tokens: list[str], present: set[str], table: Table) -> Iterator[tuple[int, int]]:
    """(start, end) token spans where a phrase of `table` occurs."""
    anchors = present.intersection(table)
    if not anchors:  # most messages: no cue word at all, one set operation
        return
    # Only phrases whose every word is in the message can match: a cue word said ten
    # times is then not tried against each of its phrases ten times.
    viable = {a: [(p, at) for p, at, words in table[a] if words <= present] for a in anchors}
    for i, token in enumerate(tokens):
        if not viable.get(token):
            continue
        for phrase, at in viable[token]:
            start, end = i - at, i - at + len(phrase)
            if start >= 0 and end <= len(tokens) and _same(tokens, start, phrase):
                yield start, end
                break


def _same(tokens: list[str], start: int, phrase: Phrase) -> bool:
    return all(_fits(tokens[start + k], w) for k, w in enumerate(phrase))


def _fits(token: str, word: str) -> bool:
    """`token` is `word`, or the clock time or count a slot stands for."""
    if word == "#time":
        return _TIME.fullmatch(token) is not None
    if word == "#num":
        return token.isdigit() or token in words.NUMBERS
    return token == word


def _phrases(tokens: list[str], present: set[str], cues: Table, calm: Table) -> list[str]:
    hushed = {i for start, end in _spans(tokens, present, calm) for i in range(start, end)}
    return [
        " ".join(tokens[start:end])
        for start, end in _widest(_spans(tokens, present, cues))
        if not hushed.intersection(range(start, end)) and not _negated(tokens, start, hushed)
    ]


def _widest(spans: Iterator[tuple[int, int]]) -> list[tuple[int, int]]:
    """The spans not inside a wider one ("by 3pm today", not also "by 3pm"), in order."""
    found = sorted(set(spans))
    return [
        (s, e)
        for s, e in found
        if not any(a <= s and e <= b and (a, b) != (s, e) for a, b in found)
    ]


def _negated(tokens: list[str], i: int, hushed: set[int]) -> bool:
    """A negation up to three words before, in the same sentence and not a calm phrase's own."""
    for j in range(i - 1, max(-1, i - 4), -1):
        token = tokens[j]
        if token == _BREAK or j in hushed:
            return False
        if token in _NEGATIONS or token.endswith("n't"):
            return True
    return False


def _substrings(text: str, cues: re.Pattern[str], calm: re.Pattern[str]) -> list[str]:
    text = calm.sub(lambda m: " " * len(m.group(0)), text)
    return [m.group(0) for m in cues.finditer(text) if not _in_passing(text, m.start(), m.end())]


def _in_passing(text: str, start: int, end: int) -> bool:
    """A CJK cue told as history or naming a feature, within its own sentence."""
    before = _CJK_END.split(text[max(0, start - _NEAR) : start])[-1]
    after = _CJK_END.split(text[end : end + _NEAR])[0]
    return _PAST.search(before) is not None or _FEATURE.search(after) is not None
