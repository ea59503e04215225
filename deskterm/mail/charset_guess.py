"""Guess the charset of bytes that name none, by the evidence of the text each guess yields.

A fixed order of guesses reads Latin-1 as Chinese (`Forma\\xe7\\xe3o` gives `Forma玢o`):
every double-byte codec decodes most 8-bit bytes. So every candidate decodes the
bytes, and the one whose text looks most like a language wins: accented letters
inside Latin words, Cyrillic words in one case pattern, runs of common Chinese,
Japanese or Korean characters. Rare ideographs, one ideograph glued into a Latin
word, Latin words made only of accents and control characters count against a
guess. The mail's declared charsets tip close calls.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Tried when nothing better is known, in this order on a tie.
CANDIDATES = (
    "cp1252",
    "cp1251",
    "koi8_r",
    "gb18030",
    "big5hkscs",
    "cp932",
    "euc_jis_2004",
    "cp949",
)
# Very frequent characters: each counts more than an ordinary common one.
_FREQUENT = frozenset(
    "的一是不了人我在有他这为之大来以个中上们到说国和地也子时道出而要于就下得可你年生自会那后"
    "能对着事其里所去行过家十用发天如然作方成者多日都三小军二无同么经法当起与好看学进种将还分此"
    "心前面又定见只主没公从知使工问意动全两高长现实点开正新月样已理气机把但等东化本情想部请务电"
    "话信息服系统题谢联客户订单处需帮助您收件附时间"
    "這為來個們說會後對著裡過發軍無麼經當與學進種將還見沒從現實點開樣氣機東請務電話統題謝聯戶"
    "訂單處幫問時間"
    "日本人会社様申込合件連絡確認送信返今回"
    "のはをにがでとしたてますいるかなれらりうこそくおあよもっ"
    "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワンー"
    "이다는에의하고를을가지서한로기사습니요도수있들어게적대인전일그정시자만나해리여주보아상구라"
    "면부장거원공우제마내비위세동무성결안녕감합문드립확배송객님께"
    "оеаинтсрвлкмдпуяыьгзб"
)
_ONE_LETTER_WORDS = frozenset("вскоуиаяВСКОУИАЯ")  # Russian words of one letter
_NON_ASCII = re.compile("[^\x00-\x7f]")
_HIGH_BYTES = re.compile(rb"[\x80-\xff]")
_WORD = re.compile(r"[A-Za-z]*[^\x00-\x7f]+(?:[A-Za-z]+[^\x00-\x7f]+)*[A-Za-z]*")
# Characters scored per reading: plenty of evidence, and a bounded cost per mail
# (a long run of CJK text is one "word": it is cut to its first _LONGEST characters).
_BUDGET = 800
_LONGEST = 64
_HINT_BONUS = 1.0  # per non-ASCII character, for a codec the mail declares elsewhere


@lru_cache(maxsize=8192)
def _common_ideograph(ch: str) -> bool:
    """In the first level of GB2312, JIS X 0208 or Big5: the characters people use."""
    for codec, low, high in (("gb2312", 0xB0, 0xD7), ("big5", 0xA4, 0xC6), ("cp932", 0x88, 0x98)):
        try:
            lead = ch.encode(codec)[0]
        except UnicodeEncodeError:
            continue
        if low <= lead <= high:
            return True
    return False


@lru_cache(maxsize=4096)
def _common_hangul(ch: str) -> bool:
    """One of the 2,350 syllables of KS X 1001 (EUC-KR), not the rare rest."""
    try:
        ch.encode("euc_kr")
    except UnicodeEncodeError:
        return False
    return True


@lru_cache(maxsize=4096)
def _script(ch: str) -> str:
    code = ord(ch)
    if code < 0x80:
        return "ascii-letter" if ch.isalpha() else "ascii"
    if 0xC0 <= code <= 0x24F and code not in (0xD7, 0xF7):
        return "latin"
    if 0x400 <= code <= 0x4FF:
        return "cyrillic"
    if 0x3040 <= code <= 0x30FF:
        return "kana"
    if 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0xF900 <= code <= 0xFAFF:
        return "han"
    if 0xAC00 <= code <= 0xD7A3:
        return "hangul"
    if 0x3000 <= code <= 0x303F or 0xFF01 <= code <= 0xFF60:
        return "cjk-punct"
    if 0xFF61 <= code <= 0xFF9F:
        return "halfwidth-kana"
    if 0xA0 <= code <= 0xBF or 0x2010 <= code <= 0x2044 or code in (0xD7, 0xF7, 0x20AC, 0x2122):
        return "symbol"
    return "other"


_EAST_ASIAN = frozenset({"kana", "han", "hangul", "cjk-punct"})


def _score_word(word: str) -> float:
    """How much a run of letters with non-ASCII characters looks like real text."""
    scripts = [_script(ch) for ch in word]
    ascii_letters = scripts.count("ascii-letter")
    latin = scripts.count("latin")
    score = 0.0
    for i, (ch, script) in enumerate(zip(word, scripts, strict=True)):
        before = scripts[i - 1] if i else ""
        after = scripts[i + 1] if i + 1 < len(scripts) else ""
        if script == "latin":
            # Real Latin words carry a few accents among plain letters.
            score += 2.0 if ascii_letters >= latin or len(word) <= 2 else -1.5
        elif script == "cyrillic":
            if len(word) == 1:
                score += 1.0 if ch in _ONE_LETTER_WORDS else -2.0
            elif "ascii-letter" in (before, after) or "latin" in (before, after):
                score -= 3.0
            elif ch.isupper() and before == "cyrillic" and word[i - 1].islower():
                score -= 3.0  # `рТЙЧЕФ`: KOI8-R read as cp1251 swaps the case
            else:
                score += 2.5 if ch.lower() in _FREQUENT else 1.5
        elif script in {"han", "hangul", "kana"}:
            if "ascii-letter" in (before, after) and not {before, after} & _EAST_ASIAN:
                score -= 4.0  # one ideograph glued to a Latin word is two Latin-1 bytes
            elif {before, after} & {"latin", "cyrillic", "halfwidth-kana"}:
                score -= 3.0
            elif ch in _FREQUENT:
                score += 5.0
            elif script == "kana" or (
                _common_hangul(ch) if script == "hangul" else _common_ideograph(ch)
            ):
                score += 3.0 if ("hangul" in (before, after)) == (script == "hangul") else 1.0
            else:
                score -= 2.0
        elif script == "cjk-punct":
            score += 1.0 if {before, after} & _EAST_ASIAN else -1.0
        elif script == "halfwidth-kana":
            score += 0.5 if "halfwidth-kana" in (before, after) else -2.0
        elif script == "symbol":
            score += 0.0
        elif script == "other":
            score -= 6.0 if unicodedata.category(ch) in {"Cc", "Co", "Cn", "Cs"} else 3.0
    return score


def plausibility(text: str) -> float:
    """The evidence that `text` is real writing: higher is likelier (0 for plain ASCII)."""
    first = _NON_ASCII.search(text)
    if first is None:
        return 0.0
    # Only a window from the first non-ASCII character is read: the word regex would
    # otherwise scan a whole long run before yielding its first match.
    window = text[max(0, first.start() - _LONGEST) : first.start() + 8 * _BUDGET]
    score = 0.0
    used = 0
    for match in _WORD.finditer(window):
        word = match.group(0)[:_LONGEST]
        score += _score_word(word)
        used += len(word)
        if used >= _BUDGET:
            break
    return score - 6.0 * text.count("\ufffd")


def _strict(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def guess_codec(data: bytes, hints: tuple[str, ...] = ()) -> tuple[str, str] | None:
    """The codec (and its text) whose reading of `data` is most plausible, or None.

    `hints` are codec names the mail declares elsewhere; each earns a small bonus,
    so a close call goes the way the rest of the mail does.
    """
    text = _strict(data, "utf-8")
    if text is not None:
        return "utf-8", text
    best: tuple[float, int, str, str] | None = None
    order = list(dict.fromkeys((*hints, *CANDIDATES)))
    wide = len(_HIGH_BYTES.findall(data, 0, 4 * _BUDGET))  # about what is scored
    for rank, codec in enumerate(order):
        text = _strict(data, codec)
        if text is None:
            continue
        score = plausibility(text) + (_HINT_BONUS * wide if codec in hints else 0.0)
        if best is None or (score, -rank) > (best[0], -best[1]):
            best = (score, rank, codec, text)
    return None if best is None else (best[2], best[3])
