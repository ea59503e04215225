"""Quoted history and signatures are found only from explicit markers."""

from __future__ import annotations

import pytest

from deskterm.mail.quotes import Segment, split_quoted


def _kinds(text: str) -> list[str]:
    return [segment.kind for segment in split_quoted(text)]


def test_plain_text_is_one_segment() -> None:
    assert split_quoted("Hello\n\nthanks") == [Segment("text", "Hello\n\nthanks")]


def test_joining_segments_gives_the_text_back() -> None:
    text = "Hi\r\n> old\r\n\r\nnew\n-- \nAna\n\nOn Mon, 3 Mar 2025, Bob <b@x.io> wrote:\n> q"
    assert "\n".join(s.text for s in split_quoted(text)) == text.replace("\r\n", "\n")


def test_angle_bracket_lines_are_quotes() -> None:
    text = "> q1\n> q2\n\nmy answer\n> q3\nanswer 2"
    assert _kinds(text) == ["quote", "text", "quote", "text"]


@pytest.mark.parametrize(
    "header",
    [
        "On Mon, 3 Mar 2025 at 10:00, Bob Smith <bob@example.com> wrote:",
        "On Mon, 3 Mar 2025 at 10:00, Bob Smith <\nbob@example.com> wrote:",
        "Am 03.03.2025 um 10:00 schrieb Max Muster <max@example.de>:",
        "Le lun. 3 mars 2025 à 10:00, Jean <jean@example.fr> a écrit :",
        "-----Original Message-----",
        "-----Ursprüngliche Nachricht-----",
    ],
)
def test_reply_headers_start_the_quoted_tail(header: str) -> None:
    segments = split_quoted(f"Thanks, fixed.\n\n{header}\nold text without markers\nmore")
    assert segments[0] == Segment("text", "Thanks, fixed.\n")
    assert segments[-1].kind == "quote"
    assert segments[-1].text.startswith(header.split("\n")[0])
    assert segments[-1].text.endswith("more")


def test_outlook_header_block() -> None:
    text = (
        "Danke!\n\nVon: Max <m@x.de>\nGesendet: Montag, 3. März 2025 10:00\n"
        "An: support@x.de\nBetreff: Frage\n\nalt"
    )
    assert _kinds(text) == ["text", "quote"]


def test_outlook_rule_then_from() -> None:
    text = "Ok\n________________________________\nFrom: Bob <b@x.io>\nSent: today\nold"
    assert _kinds(text) == ["text", "quote"]


def test_a_from_line_in_prose_is_not_a_header() -> None:
    assert _kinds("From: the manual, page 3.\nIt says so.") == ["text"]


def test_signature_after_dash_dash_space() -> None:
    segments = split_quoted("Fixed.\n\n-- \nAna Lopez\nSupport team")
    assert [s.kind for s in segments] == ["text", "signature"]
    assert segments[1].text == "-- \nAna Lopez\nSupport team"


def test_signature_then_quote() -> None:
    text = "Fixed.\n-- \nAna\n\nOn Tue, 4 Mar 2025, Bob <b@x.io> wrote:\n> broken"
    assert _kinds(text) == ["text", "signature", "quote"]


def test_closing_words_alone_are_not_a_signature() -> None:
    assert _kinds("Fixed it.\n\nBest regards\nAna\nMit freundlichen Grüßen") == ["text"]


def test_empty_text() -> None:
    assert split_quoted("") == [Segment("text", "")]


def test_many_lines_stay_fast() -> None:
    text = "\n".join(["> q", "", "a", ""] * 20_000)
    assert len(split_quoted(text)) == 40_000
