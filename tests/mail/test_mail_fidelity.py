"""Mail fidelity on hand-built mails: transfer-encoding labels, raw 8-bit names, addresses."""

from __future__ import annotations

from deskterm.mail.addresses import parse_addresses
from deskterm.mail.parse import parse_mail


def test_unknown_transfer_encoding_label_is_decoded_once() -> None:
    raw = (
        b"From: a@example.com\nSubject: x\nContent-Type: text/plain; charset=iso-8859-1\n"
        b"Content-Transfer-Encoding: 7-bit\n\ncaf\xe9\n"
    )
    assert parse_mail(raw).body_text == "café"


def test_unknown_label_on_an_attachment_keeps_its_bytes() -> None:
    raw = (
        b"From: a@example.com\nSubject: x\nContent-Type: multipart/mixed; boundary=B\n\n"
        b"--B\nContent-Type: text/plain\n\nsee file\n"
        b"--B\nContent-Type: text/plain; charset=utf-8; name=n.txt\n"
        b"Content-Transfer-Encoding: 8-bits\nContent-Disposition: attachment\n\n"
        b"\xc3\xa9t\xc3\xa9\n--B--\n"
    )
    (attachment,) = parse_mail(raw).attachments
    assert attachment.data == b"\xc3\xa9t\xc3\xa9"


def test_raw_utf8_filename_is_kept() -> None:
    raw = (
        b"From: a@example.com\nSubject: x\nContent-Type: multipart/mixed; boundary=B\n\n"
        b"--B\nContent-Type: text/plain\n\nbody\n"
        b"--B\nContent-Type: text/plain\nContent-Disposition: attachment; filename=ci\xc3\xable.txt"
        b"\n\nfile\n--B--\n"
    )
    assert [a.filename for a in parse_mail(raw).attachments] == ["ciële.txt"]


def test_raw_latin1_name_in_content_type_is_kept() -> None:
    raw = (
        b"From: a@example.com\nSubject: x\nContent-Type: multipart/mixed; boundary=B\n\n"
        b"--B\nContent-Type: text/plain\n\nbody\n"
        b'--B\nContent-Type: application/pdf; name="r\xe9sum\xe9.pdf"\n\n%PDF\n--B--\n'
    )
    assert [a.filename for a in parse_mail(raw).attachments] == ["résumé.pdf"]


def test_display_name_with_at_sign_adds_no_recipient() -> None:
    raw = (
        b"From: a@example.com\nTo: smith@gmail.com, Mikel@Lindsaar <raasdnil@gmail.com>,"
        b" tom@gmail.com\nSubject: x\n\nhi\n"
    )
    assert parse_mail(raw).to == ("smith@gmail.com", "raasdnil@gmail.com", "tom@gmail.com")
    named = parse_addresses("Mikel@Lindsaar <raasdnil@gmail.com>")
    assert [(a.name, a.addr) for a in named] == [("Mikel@Lindsaar", "raasdnil@gmail.com")]


def test_quoted_and_commented_lists_still_split_right() -> None:
    found = parse_addresses('"Doe, Jane" <jane@x.test>, bob@y.test (Bob, B.), <c@z.test>')
    assert [a.addr for a in found] == ["jane@x.test", "bob@y.test", "c@z.test"]


def test_from_without_local_part_is_no_address_but_the_mail_stays() -> None:
    mail = parse_mail(b"From: Shop <@example.com>\nSubject: x\n\nhi\n")
    assert (mail.from_addr, mail.from_name, mail.body_text) == ("", "Shop", "hi")
    bare = parse_mail(b"From: @example.com\nReply-To: real@example.com\nSubject: x\n\nhi\n")
    assert bare.from_addr == "real@example.com"
