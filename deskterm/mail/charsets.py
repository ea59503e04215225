"""Turn mail bytes into text even when the declared charset lies or is missing.

Real mail labels GBK text as gb2312, Shift_JIS as iso-2022-jp, cp1252 as
iso-8859-1 or us-ascii, and sometimes names no charset or a made-up one. We map
labels to the widest compatible codec, decode strictly, and fall back through
the best-evidenced guess before giving up with replacement characters.
"""

from __future__ import annotations

import codecs
import re
from functools import lru_cache

from deskterm.mail.charset_guess import guess_codec

# Labels mapped to the superset codec that real senders actually use.
_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "euc-cn": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "iso8859-1": "cp1252",
    "us-ascii": "utf-8",
    "ascii": "utf-8",
    "ansi_x3.4-1968": "utf-8",
    "iso-2022-jp": "iso2022_jp_ext",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "windows-31j": "cp932",
    "euc-jp": "euc_jis_2004",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "ks_c_5601": "cp949",
    "big5": "big5hkscs",
    "tis-620": "cp874",
    "iso-8859-11": "cp874",
    "unicode-1-1-utf-7": "utf-7",
    "x-unicode-1-1-utf-7": "utf-7",
    "utf8": "utf-8",
    "x-user-defined": "cp1252",
    "unknown-8bit": "",
    "x-unknown": "",
    "unknown": "",
}

# Codecs to try after the declared one fails, by family.
_FAMILY_FALLBACKS = {
    "iso2022_jp_ext": ("iso2022_jp_2", "cp932", "euc_jis_2004"),
    "cp932": ("euc_jis_2004", "iso2022_jp_2"),
    "euc_jis_2004": ("cp932",),
    "gb18030": ("big5hkscs",),
    "big5hkscs": ("gb18030",),
    "cp949": ("johab",),
}

_CHARSET_TOKEN = re.compile(r"[A-Za-z0-9_.:+\-]+")
_SINGLE_BYTE_FALLBACK = frozenset({"utf-7"})
# Codecs whose text is pure ASCII bytes, so an ASCII shortcut would skip decoding.
_SEVEN_BIT = frozenset({"utf-7", "hz"})


@lru_cache(maxsize=256)
def codec_for(label: str | None) -> str | None:
    """Return the Python codec for a MIME charset label, or None when unknown.

    Labels sometimes carry a stray folded header or quotes, so only the first
    token counts.
    """
    if not label:
        return None
    match = _CHARSET_TOKEN.search(label.strip().strip("\"'"))
    if match is None:
        return None
    name = match.group(0).lower().rstrip(".")
    mapped = _SUPERSETS.get(name)
    if mapped is not None:
        return mapped or None
    try:
        info = codecs.lookup(name)
    except LookupError:
        return None
    # Binary transforms (base64, zlib...) share the codec registry; refuse them.
    if not getattr(info, "_is_text_encoding", True):
        return None
    codec = info.name
    return _SUPERSETS.get(codec, codec)


def _strict(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def decode_bytes(data: bytes, label: str | None, hints: tuple[str, ...] = ()) -> tuple[str, bool]:
    """Decode `data` declared as `label`; return the text and whether we had to guess.

    The declared codec wins when it decodes cleanly; otherwise we try its family,
    UTF-8, CJK probes and finally cp1252, keeping the declared codec with
    replacement characters when it was plausible but slightly broken.
    """
    codec = codec_for(label)
    if data.isascii() and codec not in _SEVEN_BIT and b"\x1b" not in data:
        return data.decode("ascii"), False
    if codec is not None:
        text = _strict(data, codec)
        if text is not None:
            return text, False
        for fallback in (*_FAMILY_FALLBACKS.get(codec, ()), "utf-8"):
            text = _strict(data, fallback)
            if text is not None:
                return text, True
        if codec not in _SINGLE_BYTE_FALLBACK:
            text = data.decode(codec, "replace")
            if _mostly_valid(text):
                return text, True
    return guess_bytes(data, hints), codec is None and label is not None


def _mostly_valid(text: str) -> bool:
    """True when a lenient decode kept most non-ASCII characters (a few broken bytes)."""
    bad = text.count("\ufffd")
    wide = sum(1 for ch in text if ord(ch) > 0x7F)
    return wide > 0 and bad * 10 <= wide


def guess_bytes(data: bytes, hints: tuple[str, ...] = ()) -> str:
    """Decode bytes of unknown charset by the evidence of each reading (see `charset_guess`)."""
    codecs_hinted = tuple(c for c in (codec_for(h) for h in hints) if c)
    found = guess_codec(data, codecs_hinted)
    return found[1] if found is not None else data.decode("latin-1")
