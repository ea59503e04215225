"""Malformed mail never crashes the parser; huge and hostile mail still parses.

Only an oversized mail may raise (MailError). Everything smaller must come back
as a ParsedMail, salvaged, so a fetch never stops on one bad message.
"""

from __future__ import annotations

import base64
import os

import pytest
from helpers.corpus import require_corpus
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deskterm.errors import MailError
from deskterm.mail.html import render
from deskterm.mail.parse import ParsedMail, parse_mail

FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)

HEADER_NAMES = [
    "From", "To", "Cc", "Subject", "Date", "Message-ID", "In-Reply-To", "References",
    "Content-Type", "Content-Transfer-Encoding", "Content-Disposition", "Reply-To",
    "Auto-Submitted", "Precedence", "List-Id", "Return-Path", "MIME-Version", "X-Junk",
]  # fmt: skip
VALUE_BITS = [
    "=?utf-8?B?w6TDtsO8?=", "=?iso-2022-jp?B?GyRCJWEbKEI=?=", "=?gb2312?B?1tDOxA?=",
    "=?bogus?Q?a=FF_b?=", "=?utf-8?q?broken", "?=", "<a@b.c>", '"x, y" <z@w>', "a@", "@b",
    "multipart/mixed; boundary=B", "text/html; charset=unknown-8bit", "base64",
    "quoted-printable", "x-uuencode", "attachment; filename*=utf-8''%E2%82%AC.txt",
    "text/plain; charset=utf-7", "message/rfc822", "multipart/report; report-type=delivery-status",
    "\x00", "\t", "\r\n ", "(comment", ";;;", "",
]  # fmt: skip
header_value = st.lists(
    st.one_of(st.sampled_from(VALUE_BITS), st.text(max_size=20)), max_size=6
).map(" ".join)
raw_bytes_value = st.binary(max_size=40)


@st.composite
def header_soup(draw: st.DrawFn) -> bytes:
    lines: list[bytes] = []
    if draw(st.booleans()):
        lines.append(b"From MAILER-DAEMON Thu Jan  1 00:00:00 2024")
    for _ in range(draw(st.integers(0, 12))):
        name = draw(st.one_of(st.sampled_from(HEADER_NAMES), st.text(max_size=8)))
        value = draw(st.one_of(header_value.map(str.encode), raw_bytes_value))
        lines.append(name.encode("utf-8", "surrogatepass") + b": " + value)
    newline = draw(st.sampled_from([b"\n", b"\r\n", b"\r"]))
    body = draw(st.binary(max_size=300))
    return newline.join(lines) + newline + newline + body


@st.composite
def broken_multipart(draw: st.DrawFn) -> bytes:
    parts = []
    for _ in range(draw(st.integers(0, 4))):
        ctype = draw(
            st.sampled_from(
                ["text/plain", "text/html", "image/png", "message/rfc822", "multipart/alternative",
                 "message/delivery-status", "text/rfc822-headers", "application/x-bogus"]
            )
        )  # fmt: skip
        cte = draw(st.sampled_from(["base64", "quoted-printable", "x-uuencode", "8bit", "weird"]))
        charset = draw(st.sampled_from(["utf-8", "gb2312", "iso-2022-jp", "utf-7", "nope", ""]))
        body = draw(st.binary(max_size=120))
        parts.append(
            b"--B\nContent-Type: " + ctype.encode() + b"; charset=" + charset.encode()
            + b"; boundary=B\nContent-Transfer-Encoding: " + cte.encode() + b"\n\n" + body + b"\n"
        )  # fmt: skip
    mail = b"From: a@b.c\nContent-Type: multipart/mixed; boundary=B\n\n" + b"".join(parts)
    if draw(st.booleans()):
        mail += b"--B--\n"
    cut = draw(st.integers(0, len(mail)))
    return mail[:cut] if draw(st.booleans()) else mail


def _check(mail: ParsedMail) -> None:
    assert isinstance(mail.body_text, str)
    assert mail.from_addr == mail.from_addr.lower()
    assert "\x00" not in mail.body_text + mail.subject
    for attachment in mail.attachments:
        assert isinstance(attachment.data, bytes)
        assert attachment.filename


@FUZZ
@given(st.binary(max_size=2000))
def test_random_bytes(raw: bytes) -> None:
    _check(parse_mail(raw))


@FUZZ
@given(header_soup())
def test_header_soup(raw: bytes) -> None:
    _check(parse_mail(raw))


@FUZZ
@given(broken_multipart())
def test_broken_multipart(raw: bytes) -> None:
    _check(parse_mail(raw))


@settings(max_examples=100, deadline=None, database=None)
@given(st.data())
def test_mutated_corpus_mail(data: st.DataObject) -> None:
    files = sorted(p for p in require_corpus().glob("*.box") if p.stat().st_size < 200_000)
    raw = bytearray(data.draw(st.sampled_from(files)).read_bytes())
    for _ in range(data.draw(st.integers(1, 20))):
        position = data.draw(st.integers(0, len(raw) - 1))
        raw[position] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(raw)))
    _check(parse_mail(bytes(raw[:cut])))


def test_oversized_mail_raises() -> None:
    with pytest.raises(MailError, match="byte limit"):
        parse_mail(b"Subject: x\n\n" + b"a" * 200, max_bytes=100)


def test_deep_nesting_is_cut() -> None:
    raw = b"Content-Type: multipart/mixed; boundary=B0\n\n"
    for depth in range(1, 200):
        raw += f"--B{depth - 1}\nContent-Type: multipart/mixed; boundary=B{depth}\n\n".encode()
    try:
        mail = parse_mail(raw)
    except MailError:
        return  # refusing is allowed; crashing is not
    assert any("too deep" in defect for defect in mail.defects)


def test_twenty_megabyte_attachment() -> None:
    payload = os.urandom(15_000_000)
    raw = (
        b"From: a@example.com\r\nSubject: big\r\n"
        b"Content-Type: multipart/mixed; boundary=XX\r\n\r\n"
        b"--XX\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
        b"--XX\r\nContent-Type: application/octet-stream; name=big.bin\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(payload)
        + b"\r\n--XX--\r\n"
    )
    assert len(raw) > 20_000_000
    mail = parse_mail(raw)
    assert mail.body_text == "see attached"
    [attachment] = mail.attachments
    assert attachment.data == payload


def test_twenty_thousand_links() -> None:
    links = "".join(
        f'<p><a href="https://example.com/t/{i}">link {i}</a></p>' for i in range(20_000)
    )
    raw = f"From: a@example.com\nContent-Type: text/html\n\n<html>{links}</html>".encode()
    mail = parse_mail(raw)
    assert "link 19999 (https://example.com/t/19999)" in mail.body_text
    assert mail.body_html is not None and mail.body_html.count("<a ") == 20_000


@pytest.mark.parametrize(
    "hostile",
    ["<" * 300_000, "&#" * 300_000, "<div>" * 100_000, "<a x='" * 100_000, "<!--" * 100_000],
)
def test_pathological_html_stays_linear(hostile: str) -> None:
    # html.parser and html5ever go quadratic on these; our tokenizer must not.
    safe, text = render(hostile)
    assert "<script" not in safe
    assert isinstance(text, str)


def test_nul_in_a_header_parameter() -> None:
    # Found by the fuzzer: a NUL in a charset made the stdlib raise "embedded null character".
    raw = (
        b"From: a@b.test\r\nSubject: x\r\nContent-Type: text/html; charset=\x00utf-8\r\n"
        b"\r\n<p>caf\xc3\xa9</p>\r\n"
    )
    mail = parse_mail(raw)
    assert "caf" in mail.body_text
    assert any("NUL" in defect for defect in mail.defects)
    # The same with a raw 8-bit byte beside it (the stdlib then keeps a Header object).
    assert parse_mail(raw.replace(b"=\x00", b"=\x80\x00")).defects
