"""Undo Content-Transfer-Encoding leniently: broken base64, uuencode, unknown labels.

The stdlib raises or returns nothing on bad padding and knows no salvage for
mislabelled encodings; a help desk must keep whatever bytes can be recovered.
"""

from __future__ import annotations

import binascii
import re

_B64_JUNK = re.compile(rb"[^A-Za-z0-9+/]")
IDENTITY = frozenset({"", "7bit", "8bit", "binary", "none", "utf-8", "utf8", "text", "plain"})
_UUENCODE = frozenset({"x-uuencode", "uuencode", "x-uue", "uue"})


def _base64(data: bytes) -> bytes:
    try:
        return binascii.a2b_base64(data)
    except binascii.Error:
        cleaned = _B64_JUNK.sub(b"", data)
        if len(cleaned) % 4 == 1:
            cleaned = cleaned[:-1]
        return binascii.a2b_base64(cleaned + b"=" * (-len(cleaned) % 4))


def _uudecode(data: bytes) -> bytes:
    """Decode uuencoded lines, skipping `begin`/`end` and repairing short lines."""
    out: list[bytes] = []
    for line in data.splitlines():
        stripped = line.strip(b"\r\n")
        if not stripped or stripped.startswith((b"begin ", b"end")) or stripped == b"`":
            continue
        try:
            out.append(binascii.a2b_uu(stripped))
        except binascii.Error:
            # Some encoders drop trailing spaces; decode the bytes the length byte promises.
            nbytes = (((stripped[0] - 32) & 63) * 4 + 5) // 3
            try:
                out.append(binascii.a2b_uu(stripped[:nbytes]))
            except binascii.Error:
                continue
    return b"".join(out)


def uu_filename(data: bytes) -> str | None:
    """The file name on a uuencode `begin 644 name` line, if any."""
    for line in data[:2048].splitlines():
        if line.startswith(b"begin "):
            parts = line.split(None, 2)
            if len(parts) == 3:
                return parts[2].decode("latin-1").strip()
    return None


def decode_transfer(data: bytes, encoding: str) -> tuple[bytes, str | None]:
    """Return the decoded bytes and a defect note when the encoding was unknown."""
    label = encoding.strip().lower().split(";", 1)[0].strip().strip("\"'")
    if label == "base64":
        return _base64(data), None
    if label in {"quoted-printable", "quoted_printable", "qp"}:
        return binascii.a2b_qp(data), None
    if label in _UUENCODE:
        return _uudecode(data), None
    if label in IDENTITY:
        return data, None
    return data, f"unknown transfer encoding {label[:40]!r}, kept as is"
