"""Full-text search text preparation: Latin words for unicode61, bigrams for CJK.

FTS5's unicode61 tokenizer keeps a run of Han/Hangul/Kana letters as one token,
so 환불 is not found inside 환불을 and 退款 not inside 我要退款. The trigram
tokenizer finds nothing under three characters and is 5x slower to build and 6x
larger. We index CJK runs as overlapping two-character tokens in their own
column (`cjk`) and search a CJK word as the phrase of its bigrams, which finds
every 2+ character word with plain FTS5 and stays fast for common terms. Latin
text goes to the `text` column with the porter stemmer (refund finds refunds).

Korean writes particles onto the word (환불을, 환불이, 환불은: "the refund" as
object, subject, topic). A searched Hangul word of three or more syllables that
ends in one of `KOREAN_PARTICLES` is searched as the word without it, so 환불을
finds what 환불 finds; the stem keeps at least two syllables (two-syllable words such
as 나이 or 가을 stay whole). Words that merely end like a particle
(고양이) then find a little more, never less: the stem is inside the whole word.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_CJK_RANGES = (
    "\u1100-\u11ff"  # Hangul Jamo
    "\u3040-\u30ff"  # Hiragana, Katakana
    "\u3130-\u318f"  # Hangul compatibility Jamo
    "\u31f0-\u31ff"  # Katakana phonetic extensions
    "\u3400-\u4dbf"  # CJK extension A
    "\u4e00-\u9fff"  # CJK unified ideographs
    "\uac00-\ud7af"  # Hangul syllables
    "\uf900-\ufaff"  # CJK compatibility ideographs
    "\uff66-\uff9f"  # half-width Katakana
    "\U00020000-\U0002a6df"  # CJK extension B
)
_CJK_RUN = re.compile(f"[{_CJK_RANGES}]+")
_CJK_SPLIT = re.compile(f"([{_CJK_RANGES}]+)")  # latin, run, latin, run, ..., latin
_HANGUL_RUN = re.compile("[\uac00-\ud7af]+")
# Two syllables first (으로 before 로). Subject, object, topic, genitive, place,
# direction, companion and "also"/"only" markers: the ones a search box sees.
KOREAN_PARTICLES = (
    "에서", "에게", "으로", "까지", "부터", "처럼", "보다", "한테",
    "을", "를", "이", "가", "은", "는", "의", "에", "도", "와", "과", "로", "만",
)  # fmt: skip
TOKENIZE = "porter unicode61 remove_diacritics 2"

CREATE_TABLES = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS message_fts USING fts5("
    f"text, cjk, content='', tokenize='{TOKENIZE}')",
    f"CREATE VIRTUAL TABLE IF NOT EXISTS ticket_fts USING fts5("
    f"text, cjk, content='', tokenize='{TOKENIZE}')",
)
# Knowledge-base articles: few and short next to messages, so the table keeps its text
# (a delete is by rowid) and titles get columns of their own, weighted in the ranking.
CREATE_ARTICLE_TABLE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS article_fts USING fts5("
    f"title, title_cjk, text, cjk, tokenize='{TOKENIZE}')"
)
# The indexed terms of each table, for listing the terms under a prefix.
CREATE_VOCABULARIES = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS ticket_terms USING fts5vocab(ticket_fts, 'row')",
    "CREATE VIRTUAL TABLE IF NOT EXISTS message_terms USING fts5vocab(message_fts, 'row')",
)
# Merge an index's segments into one: a bulk load leaves hundreds, and every query
# seeks in each (a rowid-range query took 400 us at 1M, 60 us after).
OPTIMIZE = (
    "INSERT INTO ticket_fts (ticket_fts) VALUES ('optimize')",
    "INSERT INTO message_fts (message_fts) VALUES ('optimize')",
)
# Each ticket's subject and messages as one row (rowid = ticket id): the tickets that
# hold a word are its rows, so counting them is FTS5 counting one doclist, not mapping
# each message hit to its ticket (1.4 s of CPU for `thanks` at 1M tickets). The text
# is kept, so a row is rewritten by rowid (its old text cannot drift from what was
# indexed); 'column' detail: words and column filters, no phrases (`store.search.words`).
CREATE_TICKET_WORDS = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS ticket_words USING fts5("
    f"text, cjk, detail='column', tokenize='{TOKENIZE}')"
)
INSERT_TICKET_WORDS = "INSERT INTO ticket_words (rowid, text, cjk) VALUES (?, ?, ?)"
DELETE_TICKET_WORDS = "DELETE FROM ticket_words WHERE rowid = ?"
OPTIMIZE_TICKET_WORDS = "INSERT INTO ticket_words (ticket_words) VALUES ('optimize')"
INSERT_MESSAGE = "INSERT INTO message_fts (rowid, text, cjk) VALUES (?, ?, ?)"
INSERT_TICKET = "INSERT INTO ticket_fts (rowid, text, cjk) VALUES (?, ?, ?)"
# Contentless tables forget text: a delete must repeat the exact indexed values.
DELETE_MESSAGE = (
    "INSERT INTO message_fts (message_fts, rowid, text, cjk) VALUES ('delete', ?, ?, ?)"
)
DELETE_TICKET = "INSERT INTO ticket_fts (ticket_fts, rowid, text, cjk) VALUES ('delete', ?, ?, ?)"
# `article_fts` keeps its text: a row goes by its rowid alone.
INSERT_ARTICLE = (
    "INSERT INTO article_fts (rowid, title, title_cjk, text, cjk) VALUES (?, ?, ?, ?, ?)"
)
DELETE_ARTICLE = "DELETE FROM article_fts WHERE rowid = ?"


def bigrams(run: str) -> list[str]:
    if len(run) < 2:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def index_columns(text: str) -> tuple[str, str]:
    """Split text into (latin, cjk-bigrams) column values for the index."""
    if text.isascii():  # most mail: no scan for CJK letters at all
        return text, ""
    parts = _CJK_SPLIT.split(text)  # one scan (findall, then sub, took two)
    if len(parts) == 1:
        return text, ""
    runs = parts[1::2]
    # A Latin token between runs keeps 退款 款项 from matching the phrase 退款项.
    return " ".join(parts[::2]), " x ".join(" ".join(bigrams(run)) for run in runs)


def ticket_columns(
    parts: list[str], known: dict[str, tuple[str, str]] | None = None
) -> tuple[str, str]:
    """A ticket's subject and message bodies as its `ticket_words` (latin, cjk) values.

    `known`: `index_columns` of some of the parts, worked out already (a writer's own).
    """
    known = known or {}
    columns = [known.get(part) or index_columns(part) for part in parts]
    return "\n".join(c[0] for c in columns), " x ".join(c[1] for c in columns if c[1])


def korean_stem(run: str) -> str:
    """`run` without a trailing Korean particle, when two or more syllables remain."""
    if not _HANGUL_RUN.fullmatch(run):
        return run
    for particle in KOREAN_PARTICLES:
        if run.endswith(particle) and len(run) - len(particle) >= 2:
            return run[: -len(particle)]
    return run


def split_word(word: str) -> tuple[list[str], str]:
    """A searched word's CJK runs, and its Latin rest (runs blanked out)."""
    return _CJK_RUN.findall(word), _CJK_RUN.sub(" ", word).strip()


def _quote(token: str) -> str:
    return '"' + token.replace("\x00", "").replace('"', '""') + '"'


# A Latin prefix FTS5 can be asked for term by term (see `match_expression`).
_ONE_TOKEN = re.compile(r"[a-z0-9]+")


def match_expression(
    words: tuple[str, ...],
    terms: Callable[[str], list[str] | None] | None = None,
    *,
    latin_column: str = "text",
    cjk_column: str = "cjk",
) -> str | None:
    """An FTS5 MATCH string requiring every word; None if nothing searchable remains.

    Each word is quoted, so FTS syntax in user input (AND, NEAR, column:, *) is
    searched as text. A trailing `*` on a Latin word asks for a prefix match.

    FTS5 answers a prefix by merging the doclists of every term under it on each
    query, which a rowid range cannot shorten (8 s for `refun*` checked on batches
    at 1M). `terms(prefix)`, when given, lists words that ask for the indexed terms
    under a one-token prefix (None: it cannot), and the prefix is asked as their OR.
    `latin_column` and `cjk_column` name the columns searched (`{title text}`: both).
    """
    parts: list[str] = []
    for word in words:
        prefix = word.endswith("*") and len(word) > 1
        if prefix:
            word = word[:-1]
        runs, latin = split_word(word)
        for found in runs:
            run = korean_stem(found)
            grams = bigrams(run)
            if len(grams) == 1 and len(run) == 1:
                parts.append(f"{cjk_column} : {_quote(run)} *")
            else:
                parts.append(f"{cjk_column} : {_quote(' '.join(grams))}")
        if not re.search(r"\w", latin):
            continue
        listed = (
            terms(latin.lower())
            if prefix and terms and _ONE_TOKEN.fullmatch(latin.lower())
            else None
        )
        if listed:
            parts.append(f"{latin_column} : (" + " OR ".join(_quote(t) for t in listed) + ")")
        else:
            parts.append(f"{latin_column} : {_quote(latin)}" + (" *" if prefix else ""))
    return " AND ".join(parts) if parts else None
