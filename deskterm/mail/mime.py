"""Walk a parsed MIME tree into body pieces and attachments, salvaging what is broken.

The stdlib gives a tree; deciding which parts are "the body" (the text and HTML
a person reads) and which are files (images, signatures, attached mails,
delivery reports) is ours, as is decoding every part without ever raising.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass, field
from email.generator import BytesGenerator
from email.message import Message
from email.policy import compat32
from html import escape

from deskterm.mail.charsets import decode_bytes
from deskterm.mail.headers import decode_header, message_ids, raw_get, to_text, unfold
from deskterm.mail.html import html_to_text
from deskterm.mail.raw_parts import body_of, child_entities
from deskterm.mail.transfer import decode_transfer, uu_filename

MAX_DEPTH = 40
# The transfer encodings compat32's get_payload(decode=True) undoes itself.
_STDLIB_DECODED = frozenset(
    {"quoted-printable", "base64", "x-uuencode", "uuencode", "uue", "x-uue"}
)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:\-]+)""", re.I)
_FIELD = re.compile(r"^([!-9;-~]+)[ \t]*:[ \t]*(.*)$")
_BLOCK_SPLIT = re.compile(r"\n[ \t]*\n")
_BAD_NAME_CHARS = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")
_EXTENSIONS = {
    "text/plain": ".txt",
    "text/html": ".html",
    "text/calendar": ".ics",
    "text/csv": ".csv",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "application/pdf": ".pdf",
    "application/pkcs7-signature": ".p7s",
    "application/x-pkcs7-signature": ".p7s",
    "application/pkcs7-mime": ".p7m",
    "application/x-pkcs7-mime": ".p7m",
    "application/pgp-signature": ".asc",
    "application/pgp-encrypted": ".asc",
    "message/delivery-status": ".txt",
    "text/rfc822-headers": ".txt",
    "text/enriched": ".txt",
    "text/richtext": ".txt",
}
# Renderings of the same words that multipart/alternative may offer besides plain and HTML.
_OTHER_RENDERINGS = frozenset({"text/enriched", "text/richtext"})


@dataclass(frozen=True, slots=True)
class ParsedAttachment:
    """A file from a mail, content-addressed by sha256 so stores keep one copy."""

    filename: str
    mime_type: str
    data: bytes
    sha256: str
    content_id: str | None
    inline: bool


@dataclass(slots=True)
class Piece:
    """A run of body: its plain text, its HTML, or both when alternatives were given."""

    plain: str | None
    html: str | None


@dataclass(slots=True)
class Walk:
    """What a walk over one mail collected besides the body pieces."""

    hints: tuple[str, ...]
    attachments: list[ParsedAttachment] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)
    dsn_blocks: list[dict[str, str]] = field(default_factory=list)
    returned_ids: list[str] = field(default_factory=list)


def parse_fields(text: str) -> list[dict[str, str]]:
    """Parse blank-line separated `Name: value` blocks (delivery-status, header dumps)."""
    blocks: list[dict[str, str]] = []
    for chunk in _BLOCK_SPLIT.split(text.replace("\r\n", "\n")):
        fields: dict[str, str] = {}
        name = ""
        for line in chunk.split("\n"):
            if line[:1] in {" ", "\t"} and name:
                fields[name] += " " + line.strip()
                continue
            match = _FIELD.match(line)
            if match:
                name = match.group(1).lower()
                fields.setdefault(name, match.group(2).strip())
        if fields:
            blocks.append(fields)
    return blocks


def flatten(message: Message) -> bytes:
    """Serialise an attached message back to bytes (the stdlib keeps no original span)."""
    buffer = io.BytesIO()
    BytesGenerator(buffer, mangle_from_=False, policy=compat32).flatten(message)
    return buffer.getvalue()


def payload_bytes(part: Message) -> bytes:
    """The part's body bytes as they stood in the mail, before transfer decoding."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return b"\n".join(flatten(item) for item in payload if isinstance(item, Message))
    if not isinstance(payload, str):
        return b""
    if payload.isascii():
        return payload.encode("ascii")
    # With decode=False compat32 re-decodes 8-bit text by the declared charset, so
    # its bytes would be decoded twice; decode=True hands back the original bytes
    # for every encoding the stdlib does not undo itself (7bit, 8bit, `7-bit`...).
    stdlib_cte = str(part.get("content-transfer-encoding", "")).lower()
    raw = part.get_payload(decode=True) if stdlib_cte not in _STDLIB_DECODED else None
    return raw if isinstance(raw, bytes) else payload.encode("utf-8", "surrogateescape")


def decoded_payload(part: Message) -> tuple[bytes, str | None]:
    """The part's body with its transfer encoding undone, plus a defect note if any."""
    cte = _cte(part)
    if cte in {"quoted-printable", "quoted_printable"}:
        # Quoted-printable often carries raw 8-bit bytes; only decode=True keeps them.
        raw = part.get_payload(decode=True)
        if isinstance(raw, bytes):
            return raw, None
    return decode_transfer(payload_bytes(part), cte)


def _cte(part: Message) -> str:
    value = raw_get(part, "content-transfer-encoding") or ""
    return value.strip().lower().split(";", 1)[0].strip().strip("\"'")


def _flowed(text: str, delsp: bool) -> str:
    """Undo RFC 3676 format=flowed soft breaks so paragraphs read as one line."""
    out: list[str] = []
    carry = ""
    for line in text.split("\n"):
        if line.startswith(" "):
            line = line[1:]
        if line.endswith(" ") and line != "-- ":
            carry += line[:-1] if delsp else line
            continue
        out.append(carry + line)
        carry = ""
    if carry:
        out.append(carry)
    return "\n".join(out)


def plain_to_html(text: str) -> str:
    """Wrap plain text as HTML so mixed plain and HTML parts join into one document."""
    return "<p>" + escape(text).replace("\n", "<br>\n") + "</p>"


def _clean_filename(name: str) -> str:
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _BAD_NAME_CHARS.sub("_", name).strip(" .")
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = stem[: 190 - len(ext)] + dot + ext if dot and len(ext) < 10 else name[:200]
    return name


class Walker:
    """Turns a MIME tree into body pieces, filling a `Walk` with everything else."""

    def __init__(self, hints: tuple[str, ...]) -> None:
        self.result = Walk(hints)

    def walk(
        self, part: Message, depth: int = 0, *, resource: bool = False, raw: bytes | None = None
    ) -> list[Piece]:
        """Return the body pieces of `part` in order; files go to the attachments.

        `resource` marks the non-root parts of a multipart/related: they are
        files the root refers to, even when they are HTML. `raw` is the part's
        bytes as received (headers and body) when they could be cut out.
        """
        if depth > MAX_DEPTH:
            self.result.defects.append("MIME nesting too deep; inner parts dropped")
            return []
        ctype = part.get_content_type()
        payload = part.get_payload()
        if ctype == "message/delivery-status":
            self._delivery_status(part)
            return []
        if ctype.startswith("message/") and isinstance(payload, list):
            self._attached_message(part, payload, depth, None if raw is None else body_of(raw))
            return []
        if isinstance(payload, list):
            raws = child_entities(part, raw) if raw is not None else None
            kids = [
                (child, None if raws is None else raws[i])
                for i, child in enumerate(payload)
                if isinstance(child, Message)
            ]
            if ctype == "multipart/alternative":
                return self._alternative(kids, depth)
            if ctype == "multipart/related" and kids:
                pieces = self.walk(kids[0][0], depth + 1, raw=kids[0][1])
                for child, child_raw in kids[1:]:
                    pieces += self.walk(child, depth + 1, resource=True, raw=child_raw)
                return pieces
            return [
                p for child, child_raw in kids for p in self.walk(child, depth + 1, raw=child_raw)
            ]
        return self._leaf(part, ctype, depth, resource)

    def _alternative(self, kids: list[tuple[Message, bytes | None]], depth: int) -> list[Piece]:
        """Keep the first non-empty plain rendering and the last (richest) HTML one.

        Other text renderings (text/enriched, text/richtext) are the same words
        again, not files: they are dropped when a plain or HTML one is there.
        """
        types = {child.get_content_type() for child, _ in kids}
        if types & {"text/plain", "text/html", "multipart/related", "multipart/mixed"}:
            kids = [kid for kid in kids if kid[0].get_content_type() not in _OTHER_RENDERINGS]
        results = [self.walk(child, depth + 1, raw=child_raw) for child, child_raw in kids]
        plain = next((r for r in results if any(p.plain and p.plain.strip() for p in r)), None)
        rich = next((r for r in reversed(results) if any(p.html is not None for p in r)), None)
        if plain is None and rich is None:
            return [piece for result in results for piece in result]
        text = None
        if plain is not None:
            text = "\n".join(p.plain if p.plain is not None else html_to_text(p.html or "")
                             for p in plain)  # fmt: skip
        html = None
        if rich is not None:
            html = "".join(p.html if p.html is not None else plain_to_html(p.plain or "")
                           for p in rich)  # fmt: skip
        return [Piece(text, html)]

    def _leaf(self, part: Message, ctype: str, depth: int, resource: bool) -> list[Piece]:
        data, defect = decoded_payload(part)
        if defect:
            self.result.defects.append(defect)
        filename = self._filename(part)
        if filename is None and "uu" in _cte(part):
            filename = uu_filename(payload_bytes(part))
        disposition = part.get_content_disposition()
        if ctype.startswith("multipart/"):
            self.result.defects.append(f"{ctype} without usable boundary, shown as text")
            ctype = "text/plain"
        is_body = (
            ctype in {"text/plain", "text/html"} and disposition != "attachment" and not resource
        )
        if is_body and (filename is None or depth == 0):
            text = self._text(part, data, ctype)
            if ctype == "text/html":
                return [Piece(None, text)]
            return [Piece(text, None)]
        if ctype == "text/rfc822-headers":
            text = decode_bytes(data, part.get_content_charset(None))[0]
            for block in parse_fields(text)[:1]:
                self.result.returned_ids.extend(message_ids(block.get("message-id")))
        self.attach(part, data, ctype, filename)
        return []

    def _text(self, part: Message, data: bytes, ctype: str) -> str:
        charset = part.get_content_charset(None)
        if charset is None and ctype == "text/html":
            match = _META_CHARSET.search(data[:4096])
            charset = match.group(1).decode("ascii") if match else None
        text, guessed = decode_bytes(data, charset, self.result.hints)
        if guessed:
            self.result.defects.append(f"charset {charset or 'missing'!r} did not fit, guessed")
        text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
        if ctype == "text/plain" and str(part.get_param("format", "")).lower() == "flowed":
            text = _flowed(text, str(part.get_param("delsp", "")).lower() == "yes")
        return text

    def _filename(self, part: Message) -> str | None:
        name = part.get_filename()
        if name is None:
            return None
        if "\ufffd" in name:
            name = self._raw_filename(part) or name
        return _clean_filename(decode_header(str(name), self.result.hints))

    def _raw_filename(self, part: Message) -> str | None:
        """The name from raw 8-bit header bytes, which compat32 turns into U+FFFD."""
        for header in ("content-disposition", "content-type"):
            raw = raw_get(part, header)
            if raw is None:
                continue
            decoded = Message()
            decoded[header] = to_text(unfold(raw), self.result.hints)
            name = decoded.get_filename()
            if name is not None:
                return str(name)
        return None

    def attach(self, part: Message, data: bytes, ctype: str, filename: str | None) -> None:
        """Record one file, naming it after its type when the mail gave no usable name."""
        raw_cid = raw_get(part, "content-id")
        cid = to_text(unfold(str(raw_cid))).strip().strip("<>").strip() if raw_cid else ""
        disposition = part.get_content_disposition()
        if not filename and "." in cid.partition("@")[0]:
            # Outlook names inline images only in the Content-ID: image001.jpg@01CD...
            filename = _clean_filename(cid.partition("@")[0])
        if not filename:
            filename = "attachment" + _EXTENSIONS.get(ctype, ".bin")
        self.result.attachments.append(
            ParsedAttachment(
                filename=filename,
                mime_type=ctype,
                data=data,
                sha256=hashlib.sha256(data).hexdigest(),
                content_id=cid or None,
                inline=disposition == "inline" or (disposition is None and bool(cid)),
            )
        )

    def _delivery_status(self, part: Message) -> None:
        data, _ = decoded_payload(part)
        self.result.dsn_blocks.extend(parse_fields(data.decode("utf-8", "replace")))
        self.attach(
            part, data, "message/delivery-status", self._filename(part) or "delivery-status.txt"
        )

    def _attached_message(
        self, part: Message, payload: list[Message | str], depth: int, raw: bytes | None
    ) -> None:
        """The attached mail as a file, byte for byte as received, and the files inside it."""
        inner = next((item for item in payload if isinstance(item, Message)), None)
        if inner is None:
            return
        cte = (raw_get(part, "content-transfer-encoding") or "").lower()
        inside: list[ParsedAttachment] = []
        if "base64" in cte or "quoted" in cte:
            # Mislabelled: an encoded attached mail. Decode it and read its headers again.
            data = flatten(inner)
            data, _ = decode_transfer(data.partition(b"\n\n")[2] or data, cte)
            blocks = parse_fields(decode_bytes(data[:65536], None)[0])
            headers = blocks[0] if blocks else {}
            subject, ids = headers.get("subject"), message_ids(headers.get("message-id"))
        else:
            data = raw if raw is not None else flatten(inner)
            subject = raw_get(inner, "subject")
            ids = message_ids(raw_get(inner, "message-id"))
            # Its own files are listed too; its body, reports and ids stay its own.
            files = Walker(self.result.hints)
            files.walk(inner, depth + 1, raw=raw)
            inside = files.result.attachments
            self.result.defects.extend(files.result.defects)
        self.result.returned_ids.extend(ids)
        name = self._filename(part)
        if not name:
            title = _clean_filename(decode_header(subject, self.result.hints))
            name = (title or "message") + ".eml"
        self.attach(part, data if data.strip() else b"", part.get_content_type(), name)
        self.result.attachments.extend(inside)
