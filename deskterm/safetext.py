"""Neutralise untrusted text before it reaches a terminal.

Mail subjects, names, bodies and file names may carry ANSI/OSC escape sequences
(`\\x1b]52;` writes the clipboard, `\\x1b[2J` clears the screen), other C0/C1
controls and bidi overrides that reorder what an agent reads. We strip escape
sequences whole and replace the remaining controls with visible placeholders,
keeping newlines and tabs where the caller allows them. Floods of combining marks
and zero-width characters are cut to a few.
"""

from __future__ import annotations

import re

# CSI, OSC (ended by BEL or ST), and other two-byte ESC sequences.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI ... final byte
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC ... BEL | ST
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"  # DCS, SOS, PM, APC ... ST
    r"|\x1b[@-Z\\-_]?"  # two-byte escapes and a lone ESC
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
    r"|\x9d[^\x07\x9c]*[\x07\x9c]?"  # 8-bit OSC
)
_BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f" + _BIDI + "]")
_LINE_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f" + _BIDI + "]")
# Combining marks past a few on one letter draw nothing readable ("Zalgo" text), and
# runs of zero-width characters hide nothing but their own length: cap both.
MAX_MARKS = 3
_MARKS = "\u0300-\u036f\u0483-\u0489\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
_MARK_FLOOD = re.compile(f"([{_MARKS}]{{{MAX_MARKS}}})[{_MARKS}]+")
_ZERO_WIDTH_RUN = re.compile("([\u200b-\u200d\u2060\ufeff])[\u200b-\u200d\u2060\ufeff]+")


def _cap_floods(text: str) -> str:
    if text.isascii():
        return text
    return _ZERO_WIDTH_RUN.sub(r"\1", _MARK_FLOOD.sub(r"\1", text))


def clean(text: str, *, multiline: bool = True) -> str:
    """Return `text` with escape sequences removed and controls made visible.

    With `multiline=False` newlines and tabs become spaces, for one-line fields
    such as subjects and names.
    """
    text = _cap_floods(_ESCAPES.sub("", text))
    if multiline:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        return _CONTROLS.sub("\ufffd", text)
    text = re.sub(r"[\r\n\t]+", " ", text)
    return _LINE_CONTROLS.sub("\ufffd", text)


def line(text: str) -> str:
    """Clean a one-line field (subject, name, address, file name)."""
    return clean(text, multiline=False)
