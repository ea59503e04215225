"""Mail fidelity on hand-built mails: transfer-encoding labels, raw 8-bit names, addresses."""

from __future__ import annotations

from helpers.mails import delay_notice

from deskterm.mail.addresses import parse_addresses
from deskterm.mail.auto import AutoKind
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


ATTACHED = (
    b"From someone@example.org Mon Mar  2 09:00:00 2026\r\n"
    b"From: Someone <someone@example.org>\r\nSubject: Original\r\n"
    b"Content-Type: multipart/mixed; boundary=INNER\r\n\r\n"
    b"--INNER\r\nContent-Type: text/plain\r\n\r\nsee the log\r\n"
    b"--INNER\r\nContent-Type: text/plain; name=log.txt\r\nContent-Disposition: attachment\r\n\r\n"
    b"line 1\r\nline 2\r\n--INNER--\r\n"
)


def _forward(attached: bytes, newline: bytes = b"\r\n") -> bytes:
    head = (
        b"From: a@example.com\nSubject: Fwd: Original\n"
        b"Content-Type: multipart/mixed; boundary=OUTER\n\n"
        b"--OUTER\nContent-Type: text/plain\n\nforwarding this\n"
        b"--OUTER\nContent-Type: message/rfc822\n\n"
    ).replace(b"\n", newline)
    return head + attached + newline + b"--OUTER--" + newline


def test_attached_message_keeps_its_bytes_from_line_and_crlf() -> None:
    mail = parse_mail(_forward(ATTACHED))
    eml = next(a for a in mail.attachments if a.mime_type == "message/rfc822")
    assert eml.data == ATTACHED and eml.filename == "Original.eml"


def test_files_inside_an_attached_message_are_listed() -> None:
    mail = parse_mail(_forward(ATTACHED, b"\n"))
    assert [a.filename for a in mail.attachments] == ["Original.eml", "log.txt"]
    assert mail.attachments[1].data == b"line 1\r\nline 2"
    assert mail.body_text == "forwarding this"


def test_enriched_alternative_is_not_a_file() -> None:
    raw = (
        b"From: a@example.com\nSubject: x\nContent-Type: multipart/alternative; boundary=A\n\n"
        b"--A\nContent-Type: text/plain\n\nplain words\n"
        b"--A\nContent-Type: text/enriched\n\n<bold>plain</bold> words\n--A--\n"
    )
    mail = parse_mail(raw)
    assert (mail.body_text, mail.attachments) == ("plain words", ())


def test_delay_notice_is_a_warning_not_a_bounce() -> None:
    delayed = parse_mail(delay_notice())
    assert (delayed.auto, delayed.failed_recipients) == (AutoKind.DELAY, ())
    assert delayed.bounced_message_id == "m1@customer.test"
    failed = parse_mail(delay_notice("failed"))
    assert (failed.auto, failed.failed_recipients) == (AutoKind.BOUNCE, ("slow@customer.test",))
