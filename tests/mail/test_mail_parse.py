"""Focused parse cases: envelopes, lying charsets, raw 8-bit headers, HTML-only bodies."""

from __future__ import annotations

from datetime import UTC, datetime

from deskterm.mail.html import html_to_text, render
from deskterm.mail.parse import parse_mail


def test_mbox_envelope_is_skipped() -> None:
    mail = parse_mail(b"From bob@x Thu Jan  1 00:00:00 2024\nFrom: Bob <Bob@X.io>\nSubject: s\n\nb")
    assert (mail.from_name, mail.from_addr, mail.subject, mail.body_text) == (
        "Bob",
        "bob@x.io",
        "s",
        "b",
    )


def test_gb2312_label_on_gbk_text() -> None:
    body = "內應力".encode("gbk")
    raw = b"Subject: x\nContent-Type: text/plain; charset=gb2312\n\n" + body
    assert parse_mail(raw).body_text == "內應力"


def test_raw_shift_jis_header_uses_message_charset_family() -> None:
    raw = (
        b"Subject: "
        + "ツール".encode("cp932")
        + b"\nContent-Type: text/plain; charset=iso-2022-jp\n\nx"
    )
    assert parse_mail(raw).subject == "ツール"


def test_adjacent_encoded_words_split_mid_character() -> None:
    # "für" in UTF-8 split between two words: bytes must be joined before decoding.
    raw = b"Subject: =?utf-8?Q?f=C3?= =?utf-8?Q?=BCr?= alle\n\nx"
    assert parse_mail(raw).subject == "für alle"


def test_unknown_charset_falls_back() -> None:
    raw = b"Content-Type: text/plain; charset=x-made-up\n\nna\xefve caf\xe9"
    mail = parse_mail(raw)
    assert mail.body_text == "naïve café"


def test_html_only_body_is_rendered() -> None:
    raw = (
        b"Content-Type: text/html; charset=utf-8\n\n<style>p{}</style><p>Hello</p>"
        b"<ul><li>one</li><li>two</li></ul><p><a href='https://x.io'>site</a><br>bye"
        b"<script>alert(1)</script>"
    )
    mail = parse_mail(raw)
    assert mail.body_text == "Hello\n\n- one\n- two\n\nsite (https://x.io)\nbye"
    assert mail.body_html is not None
    assert "script" not in mail.body_html and "alert" not in mail.body_html


def test_sanitize_drops_handlers_and_javascript_urls() -> None:
    safe, _text = render('<a href="javascript:alert(1)" onclick="x()">x</a><img src="cid:a@b">')
    assert "javascript" not in safe and "onclick" not in safe
    assert 'src="cid:a@b"' in safe


def test_long_links_are_not_repeated() -> None:
    url = "https://example.com/" + "a" * 100
    assert html_to_text(f'<a href="{url}">click</a>') == "click"


def test_headers_and_date() -> None:
    raw = (
        b"From: a@x.io\nTo: B <B@x.io>, c@x.io\nCc: =?utf-8?Q?D=C3=BC?= <d@x.io>\n"
        b"Message-ID: <m1@x.io>\nIn-Reply-To: <m0@x.io>\nReferences: <r1@x> <m0@x.io>\n"
        b"Reply-To: Help <help@x.io>\nDate: Tue, 4 Mar 2025 10:00:00 -0000\n\nx"
    )
    mail = parse_mail(raw)
    assert mail.to == ("b@x.io", "c@x.io") and mail.cc == ("d@x.io",)
    assert (mail.message_id, mail.in_reply_to, mail.references) == (
        "m1@x.io",
        "m0@x.io",
        ("r1@x", "m0@x.io"),
    )
    assert mail.reply_to == "help@x.io"
    assert mail.date == datetime(2025, 3, 4, 10, tzinfo=UTC)


def test_attached_message_becomes_eml() -> None:
    raw = (
        b"Content-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: text/plain\n\nsee\n"
        b"--B\nContent-Type: message/rfc822\n\n"
        b"Subject: Old one\nMessage-ID: <o@x>\n\nold body\n--B--\n"
    )
    mail = parse_mail(raw)
    [eml] = mail.attachments
    assert eml.filename == "Old one.eml" and eml.mime_type == "message/rfc822"
    assert b"old body" in eml.data
    assert mail.body_text == "see"
