"""Charset guessing by evidence, held by real-world text in several languages and codecs.

Each sample is written the way mail without a charset label carries it: the bytes
of one legacy codec, in a raw header or an unlabelled body.
"""

from __future__ import annotations

import pytest

from deskterm.mail.charsets import guess_bytes
from deskterm.mail.parse import parse_mail

SAMPLES = [
    ("latin-1", "Formação Verão"),
    ("latin-1", "Inscrição confirmada: reunião às 14h"),
    ("latin-1", "Réunion prévue à l'hôtel, merci de confirmer"),
    ("latin-1", "Grüße aus München, schöne Tage"),
    ("latin-1", "Straße"),
    ("latin-1", "café"),
    ("cp1252", "“Smart quotes” – the invoice is €20 …"),
    ("koi8_r", "Привет, счёт оплачен"),
    ("koi8_r", "Ваш заказ отправлен"),
    ("cp1251", "Привет, счёт оплачен"),
    ("cp1251", "Ваш заказ отправлен"),
    ("shift_jis", "お問い合わせありがとうございます"),
    ("shift_jis", "ツール"),
    ("shift_jis", "見積書の送付について"),
    ("euc_kr", "안녕하세요 문의 감사합니다"),
    ("euc_kr", "주문 확인 부탁드립니다"),
    ("gb2312", "您好，请问订单什么时候发货"),
    ("gb2312", "发票已经寄出"),
    ("big5", "您好，請問訂單什麼時候發貨"),
    ("big5", "發票已經寄出"),
    ("utf-8", "Formação Verão – 您好 – Привет"),
]


@pytest.mark.parametrize(("codec", "text"), SAMPLES)
def test_guess_recovers_text(codec: str, text: str) -> None:
    assert guess_bytes(text.encode(codec)) == text


@pytest.mark.parametrize(("codec", "text"), SAMPLES)
def test_raw_subject_without_charset(codec: str, text: str) -> None:
    raw = b"From: a@example.com\nSubject: " + text.encode(codec) + b"\n\nhello\n"
    assert parse_mail(raw).subject == text


def test_latin1_subject_is_not_read_as_chinese() -> None:
    raw = b"From: a@example.com\nSubject: Forma\xe7\xe3o Ver\xe3o\n\nhi\n"
    assert parse_mail(raw).subject == "Formação Verão"


def test_declared_charset_elsewhere_tips_a_close_call() -> None:
    # "Ваш" alone reads as cp1251 and KOI8-R alike; the body's label decides.
    subject = "Ваш".encode("koi8_r")
    raw = (
        b"From: a@example.com\nSubject: " + subject + b"\n"
        b"Content-Type: text/plain; charset=koi8-r\n\n" + "заказ".encode("koi8_r")
    )
    assert parse_mail(raw).subject == "Ваш"
