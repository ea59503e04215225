"""Tone read in the parse step gives the stored words, in the stored order, the old reader gave.

The parse step reads a mail's subject and body cues apart (`Prepared.body_cues`,
`subject_cues`) and the batch writer only puts them together; the old reader read
subject and body as one text. Checked against that reader (helpers.tone_oracle) on
the shared Zammad corpus, the labelled tone set, a demo store's customer messages, and
the tone columns the ingest writer and the demo's bulk load store.
"""

from __future__ import annotations

import csv
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from helpers.corpus import require_corpus
from helpers.tone_oracle import old_read_tone

from deskterm.assist import tone_words
from deskterm.assist.tone import Tone, body_cues, subject_cues, tone_of
from deskterm.demo.build import build_demo
from deskterm.store.prepared import Prepared, prepare
from deskterm.store.schema.db import open_store
from deskterm.store.service.ingest import MailIngest, parse_incoming

LABELLED = Path(__file__).parents[2] / "bench" / "data" / "tone_labelled.tsv"
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
# Each ticket's latest customer message; the subject counts when it opened the ticket.
LATEST = """
    SELECT t.urgent_words, t.upset_words, m.body_text,
      CASE WHEN m.id = (SELECT min(f.id) FROM message f WHERE f.ticket_id = t.id)
        THEN t.subject ELSE '' END
    FROM ticket t JOIN message m ON m.id = (
      SELECT max(c.id) FROM message c WHERE c.ticket_id = t.id AND c.kind = 'customer')
"""


def parse_step_tone(body: str, subject: str) -> tuple[Tone, Tone]:
    """(as the mail opening a ticket, as a later mail): what the batch writer stores."""
    body_part = body_cues(body)
    return tone_of(body_part, subject_cues(subject)), tone_of(body_part)


def assert_same_as_old(body: str, subject: str) -> None:
    opening, later = parse_step_tone(body, subject)
    assert opening == old_read_tone(body, subject), (subject, body[:200])
    assert later == old_read_tone(body), body[:200]


def stored_tones_match_old(db: sqlite3.Connection) -> int:
    """Every ticket's stored tone is the old reader's, words and order; returns how many flagged."""
    flagged = 0
    for urgent, upset, body, subject in db.execute(LATEST):
        want = old_read_tone(body, subject)
        assert (urgent, upset) == (want.urgent_text, want.upset_text), (subject, body[:200])
        flagged += bool(urgent or upset)
    return flagged


def test_every_cjk_cue_holds_a_letter_outside_ascii() -> None:
    """Why a text in plain ASCII may skip the CJK scan, as the old reader skipped it."""
    for cues in (tone_words.URGENT_CJK, tone_words.CALM_CJK, tone_words.UPSET_CJK,
                 tone_words.CALM_UPSET_CJK):  # fmt: skip
        assert all(not cue.isascii() for cue in cues)


def test_the_labelled_texts_read_the_same_as_body_and_as_subject() -> None:
    with LABELLED.open(encoding="utf-8") as f:
        texts = [row["text"] for row in csv.DictReader(f, delimiter="\t")]
    # The set is grouped by language: half way round pairs English with CJK texts.
    other = texts[len(texts) // 2 :] + texts[: len(texts) // 2]
    flagged = 0
    for text, next_one, far in zip(texts, texts[1:] + texts[:1], other, strict=True):
        assert_same_as_old(text, "")
        assert_same_as_old("See subject.", text)
        # Cues in both subject and body, in one language and in two: the order counts.
        assert_same_as_old(text, next_one)
        assert_same_as_old(text, far)
        assert_same_as_old(far, text)
        assert_same_as_old(f"{text} Still nothing!!! FIX THIS TODAY", far)  # and the marks
        flagged += old_read_tone(text) != Tone()
    assert flagged >= 100  # the set exercises the cues, not only calm texts


def test_the_zammad_corpus_reads_the_same_in_the_parse_step(tmp_path: Path) -> None:
    files = sorted(require_corpus().glob("*.box"))
    assert len(files) >= 100
    raws = [path.read_bytes() for path in files]
    for raw in raws:
        prepared = prepare(raw)
        if isinstance(prepared, Prepared):
            mail = prepared.mail
            subject = mail.subject.strip() or "(no subject)"  # as the ticket stores it
            assert tone_of(prepared.body_cues, prepared.subject_cues) == old_read_tone(
                mail.body_text, subject
            ), mail.subject
            assert tone_of(prepared.body_cues) == old_read_tone(mail.body_text)
            assert_same_as_old(mail.body_text, mail.subject)
    store = open_store(tmp_path / "corpus.db", create=True)
    try:
        MailIngest(store).ingest(
            [parse_incoming(raw, path.name) for raw, path in zip(raws, files, strict=True)]
        )
        with sqlite3.connect(tmp_path / "corpus.db") as db:
            stored_tones_match_old(db)
    finally:
        store.close()


def test_a_demo_store_reads_the_same_in_the_parse_step(tmp_path: Path) -> None:
    build_demo(tmp_path / "demo.db", 600, seed=5, now=NOW)
    with sqlite3.connect(tmp_path / "demo.db") as db:
        rows = db.execute(
            "SELECT m.body_text, t.subject FROM message m JOIN ticket t ON t.id = m.ticket_id"
            " WHERE m.kind = 'customer'"
        ).fetchall()
        assert len(rows) >= 600
        for body, subject in rows:
            assert_same_as_old(body, subject)
        assert stored_tones_match_old(db) >= 30
