"""Every mail of the Zammad corpus parses and matches what Zammad (or better) extracts.

The corpus (AGPL test data) lies outside the repository, in shared/corpus/zammad;
set DESKTERM_CORPUS to point elsewhere. See its README.md for every field.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from typing import Any

import pytest
from helpers.corpus import CORPUS, require_corpus

from deskterm.mail.auto import AutoKind
from deskterm.mail.parse import ParsedMail, parse_mail


def _entries() -> list[dict[str, Any]]:
    if not (CORPUS / "expectations.json").is_file():
        return []
    return list(json.loads((CORPUS / "expectations.json").read_text("utf-8"))["mails"])


@pytest.fixture(autouse=True)
def _corpus() -> None:
    """Skips locally, fails under CI=true, when ../shared is not there."""
    require_corpus()


ENTRIES = {entry["file"]: entry for entry in _entries()}

# Where Zammad's value is its own quirk (listed as questionable) deskterm decides per case.
FROM_EMAIL_OVERRIDES = {
    # A bare quoted string: the address inside the quotes, not the quotes themselves.
    "mail035.box": "finances8@firstfinanceloanfirm.example.com",
    # Zammad's own later normalisation (issues 2198, 2254), marked invalid.
    "mail071.box": "powerquadrantsystem@example.com",
    "mail076.box": "millionslotteryspaintransfer@example.com",
    # "Test test@example.com" without brackets: name "Test", address test@example.com.
    "mail087.box": "test@example.com",
}
SUBJECT_OVERRIDES = {
    # Declared UTF-7: we decode "+ANw-" to "Ü", Zammad leaves it.
    "mail018.box": "Benachrichtung zum Übermittlungsstatus (Fehlgeschlagen)",
}
# Display names where Zammad's value is mojibake, a mangled decode or its own formatting.
DISPLAY_NAME_OVERRIDES = {
    "mail019.box": "我",  # Zammad drops the encoded name of an empty <> address
    "mail046.box": "武兰成",  # raw GB2312 bytes; Zammad shows mojibake
    "mail065.box": "Bürling, Andreas",  # encoded word with a comma; Zammad splits it
    "mail076.box": "",  # no display name at all; Zammad repeats the broken address
    "mail087.box": "Test",  # see FROM_EMAIL_OVERRIDES
    "mail092.box": "MAILER-DAEMON (Mail Delivery System)",  # Zammad drops the comment
}
# File counts where Zammad's choice is a quirk of its parser, not a better reading.
ATTACHMENT_COUNT_OVERRIDES = {
    # Apple Mail splits the HTML body into two inline text/html parts in multipart/mixed;
    # Zammad shows the first and files the second as "document.html". We show both as body.
    "mail085.box": 0,
    # The second part has no Content-Type at all (so text/plain) and is the fax notice text;
    # Zammad files it as "file" and shows an empty body. We show it as the body.
    "mail087.box": 1,
    # A spam report with the original mail attached; that mail holds an image, which we
    # list beside the .eml (Zammad lists only the .eml).
    "mail069.box": 2,
}


def _norm(text: str) -> str:
    return " ".join(text.split())


def _visible(mail: ParsedMail) -> str:
    """Text a reader can see: the plain body, and the HTML body with its tags stripped.

    Tags are stripped both to nothing and to a space: inline tags join words, block
    tags separate them, and the README's fragments come from either reading.
    """
    source = mail.body_html or ""
    joined = html.unescape(re.sub(r"<[^>]*>", "", source))
    spaced = html.unescape(re.sub(r"<[^>]*>", " ", source))
    return " \n ".join([_norm(mail.body_text), _norm(joined), _norm(spaced)])


@pytest.fixture(scope="module")
def parsed() -> dict[str, ParsedMail]:
    return {name: parse_mail((CORPUS / name).read_bytes()) for name in ENTRIES}


def test_corpus_is_complete() -> None:
    assert len(ENTRIES) == 106
    assert sorted(p.name for p in CORPUS.glob("*.box")) == sorted(ENTRIES)


@pytest.mark.parametrize("name", sorted(ENTRIES))
def test_sender(name: str, parsed: dict[str, ParsedMail]) -> None:
    entry, mail = ENTRIES[name], parsed[name]
    expected = FROM_EMAIL_OVERRIDES.get(name, entry["from_email"])
    assert mail.from_addr == expected.lower()
    display = DISPLAY_NAME_OVERRIDES.get(name, entry.get("from_display_name", ""))
    assert mail.from_name == display


@pytest.mark.parametrize("name", sorted(ENTRIES))
def test_subject(name: str, parsed: dict[str, ParsedMail]) -> None:
    entry = ENTRIES[name]
    if "subject" not in entry:
        assert parsed[name].subject == ""
        return
    expected = SUBJECT_OVERRIDES.get(name, entry["subject"])
    assert _norm(parsed[name].subject) == _norm(expected)


@pytest.mark.parametrize("name", sorted(n for n, e in ENTRIES.items() if e.get("body_contains")))
def test_body_contains(name: str, parsed: dict[str, ParsedMail]) -> None:
    visible = _visible(parsed[name])
    for fragment in ENTRIES[name]["body_contains"]:
        assert _norm(fragment) in visible


@pytest.mark.parametrize("name", sorted(ENTRIES))
def test_attachments(name: str, parsed: dict[str, ParsedMail]) -> None:
    entry, mail = ENTRIES[name], parsed[name]
    expected = ATTACHMENT_COUNT_OVERRIDES.get(name, entry["file_attachment_count"])
    assert len(mail.attachments) == expected
    md5s = {hashlib.md5(a.data).hexdigest() for a in mail.attachments}
    for attachment in entry["attachments"]:
        # The alternative_body entry is the HTML body Zammad stores as a file; ours is body_html.
        if attachment.get("alternative_body") or not attachment["md5_equals_decoded_part"]:
            continue
        if name == "mail085.box" and attachment["filename"] == "document.html":
            continue  # shown as body, see ATTACHMENT_COUNT_OVERRIDES
        assert attachment["md5"] in md5s, attachment["filename"]
    for attachment in mail.attachments:
        assert attachment.sha256 == hashlib.sha256(attachment.data).hexdigest()


def test_iso_2022_jp(parsed: dict[str, ParsedMail]) -> None:
    mail = parsed["mail091.box"]
    assert mail.subject == "メルマガ解除"
    assert "このアドレスへのメルマガを解除してください。" in mail.body_text


def test_inline_image_content_id(parsed: dict[str, ParsedMail]) -> None:
    mail = parsed["mail010.box"]
    assert mail.subject == "Gruß aus Oberalteich"
    assert mail.from_name == "Smith Sepp"
    [image] = mail.attachments
    assert image.filename == "image001.jpg"
    assert image.content_id == "image001.jpg@01CDB132.D8A510F0"
    assert image.inline


def test_uuencode(parsed: dict[str, ParsedMail]) -> None:
    first = parsed["mail078-content_transfer_encoding_x_uuencode.box"].attachments[0]
    assert first.filename == "PGP_Cmts_on_12-14-01_Pkg.txt"
    assert first.data == b"Hello Zammad"


def test_named_attachments(parsed: dict[str, ParsedMail]) -> None:
    assert [a.filename for a in parsed["mail024.box"].attachments] == ["rulesets-report.csv"]
    assert parsed["mail024.box"].body_text.strip() == ""
    assert "a.jpg" in [a.filename for a in parsed["mail079.box"].attachments]


@pytest.mark.parametrize(
    ("name", "kind", "original"),
    [
        ("mail055.box", AutoKind.BOUNCE, "20170526150141.232.13312@example.zammad.loc"),
        (
            "mail033-undelivered-mail-returned-to-sender.box",
            AutoKind.BOUNCE,
            "20150830145601.30.608881@edenhofer.zammad.com",
        ),
        # "Delivery Status Notification (Delay)", Action: delayed: a warning.
        ("mail078.box", AutoKind.DELAY, "20150830145601.30.608881@example.com"),
    ],
)
def test_bounce_points_at_original(
    name: str, kind: AutoKind, original: str, parsed: dict[str, ParsedMail]
) -> None:
    mail = parsed[name]
    assert mail.auto is kind
    assert mail.bounced_message_id == original


def test_bounce_failed_recipients(parsed: dict[str, ParsedMail]) -> None:
    assert parsed["mail055.box"].failed_recipients == ("ticket-bounce-trigger2@example.com",)
    # A delay notice: nobody has failed yet.
    assert parsed["mail078.box"].failed_recipients == ()


@pytest.mark.parametrize("name", ["mail071.box", "mail076.box"])
def test_invalid_sender_salvaged(name: str, parsed: dict[str, ParsedMail]) -> None:
    assert parsed[name].from_addr == FROM_EMAIL_OVERRIDES[name]
    assert not parsed[name].from_valid


def test_people_are_not_automatic(parsed: dict[str, ParsedMail]) -> None:
    for name in ["mail001.box", "mail005.box", "mail010.box", "mail091.box"]:
        assert parsed[name].auto is AutoKind.NONE, name


def test_shared_message_id_pairs(parsed: dict[str, ParsedMail]) -> None:
    for first, second in [("mail089.box", "mail090.box"), ("mail103.box", "mail104.box")]:
        assert parsed[first].message_id == parsed[second].message_id
        assert parsed[first].subject != parsed[second].subject


def test_threading_headers(parsed: dict[str, ParsedMail]) -> None:
    assert "20120507061007.259.822311@portal.znuny.com" in parsed["mail005.box"].references
    assert parsed["mail001.box"].message_id == (
        "053EA3703574649ABDAF24D43A05604F327A130@MEMASFRK004.example.com"
    )
