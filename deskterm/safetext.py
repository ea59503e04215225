"""Neutralise untrusted text before it reaches a terminal.

Mail subjects, names, bodies and file names may carry ANSI/OSC escape sequences
(`\\x1b]52;` writes the clipboard, `\\x1b[2J` clears the screen), other C0/C1
controls and bidi overrides that reorder what an agent reads. We strip escape
sequences whole and replace the remaining controls with visible placeholders,
keeping newlines and tabs where the caller allows them.
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


def clean(text: str, *, multiline: bool = True) -> str:
    """Return `text` with escape sequences removed and controls made visible.

    With `multiline=False` newlines and tabs become spaces, for one-line fields
    such as subjects and names.
    """
    text = _ESCAPES.sub("", text)
    if multiline:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        return _CONTROLS.sub("\ufffd", text)
    text = re.sub(r"[\r\n\t]+", " ", text)
    return _LINE_CONTROLS.sub("\ufffd", text)


def line(text: str) -> str:
    """Clean a one-line field (subject, name, address, file name)."""
    return clean(text, multiline=False)
