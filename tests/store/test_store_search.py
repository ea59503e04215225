"""Full-text search: English stemming and prefixes, CJK words of two characters, safety."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.store import Desk, make_desk
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deskterm.errors import QuerySyntaxError
from deskterm.query import fts
from deskterm.query.syntax import TicketQuery, parse_query
from deskterm.store.queries import tickets as queries
from deskterm.store.search import sqlite as sqlite_search
from deskterm.store.search import words as search_words

# number -> (subject, body); created in this order, so ticket n is the n-th entry.
CORPUS: list[tuple[str, str]] = [
    ("Refund request", "Please send my money back for order 1001."),  # 1
    ("Invoice question", "The invoice shows the wrong address; refunds are not the issue."),  # 2
    ("Delivery late", "The parcel is late and the courier never called."),  # 3
    ("환불 문의", "환불을 받고 싶습니다. 주문이 취소되었어요."),  # 4
    ("退款", "我要退款，快递太慢了。"),  # 5
    ("返金について", "返金してください。商品が壊れていました。"),  # 6
    ("요청 사항", "환불 요청 드립니다"),  # 7: 환불 and 요청 as separate runs
    ("Mixed", "Order 1001 환불을 refunding 退款 now"),  # 8
    ("Password reset", "I cannot log in after the password reset."),  # 9
    ("Billing address", "Please update the billing address on file."),  # 10
]


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    d = make_desk(tmp_path_factory.mktemp("search"))
    for i, (subject, body) in enumerate(CORPUS, start=1):
        number = d.svc.create_ticket(subject, body, f"c{i}@example.com").number
        assert number == i
    d.svc.set_status(9, "solved")
    d.svc.add_tags(10, ["billing"])
    yield d
    d.store.close()


def hits(desk: Desk, text: str) -> list[int]:
    query = parse_query(text)
    found = sorted(r.number for r in queries.list_tickets(desk.store, query).rows)
    assert queries.count_tickets(desk.store, query) == len(found)
    return found


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("refund", [1, 2, 8]),  # refunds (2) and refunding (8) stem to refund
        ("refunds", [1, 2, 8]),
        ("REFUND", [1, 2, 8]),
        ("refu*", [1, 2, 8]),
        ("pass*", [9]),
        ("invoice", [2]),
        ("invoices", [2]),
        ("late courier", [3]),  # AND: both words
        ("late invoice", []),
        ("order 1001", [1, 8]),
        ("password", [9]),
        ("nothinglikethis", []),
    ],
)
def test_english_words_stemming_prefix_and_and(desk: Desk, text: str, expected: list[int]) -> None:
    assert hits(desk, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("환불", [4, 7, 8]),  # 환불 alone, inside 환불을 (4, 8)
        ("문의", [4]),  # subject only
        ("주문", [4]),  # inside 주문이
        ("요청", [7]),
        ("退款", [5, 8]),  # inside 我要退款 and alone
        ("我要", [5]),
        ("快递", [5]),
        ("返金", [6]),  # inside 返金してください
        ("商品", [6]),
        ("받고 싶습니다", [4]),  # AND of two CJK words
        ("환불 退款", [8]),
        ("환불 refund", [8]),
        ("환불을", [4, 7, 8]),  # a particle: searched as 환불 (see fts.korean_stem)
        ("주문이", [4]),
        ("받고", [4]),
        ("退款了", []),
        ("배송", []),
        ("불요", []),  # 환불 요청 are separate runs: no bigram 불요
        ("返品", []),
    ],
)
def test_cjk_words_of_two_characters_inside_longer_runs(
    desk: Desk, text: str, expected: list[int]
) -> None:
    assert hits(desk, text) == expected


@pytest.mark.parametrize(
    "particle", ["을", "를", "이", "가", "은", "는", "의", "에서", "으로", "도"]
)
def test_korean_words_with_a_particle_find_what_the_stem_finds(desk: Desk, particle: str) -> None:
    assert hits(desk, "환불" + particle) == hits(desk, "환불") == [4, 7, 8]


def test_korean_particle_rule_keeps_two_syllables() -> None:
    assert fts.korean_stem("환불을") == "환불"
    assert fts.korean_stem("환불으로") == "환불"  # 으로 before 로
    assert fts.korean_stem("요청에서") == "요청"
    assert fts.korean_stem("나이") == "나이"  # a two-syllable word is never cut
    assert fts.korean_stem("환불") == "환불"
    assert fts.korean_stem("退款了") == "退款了"  # Hangul only
    assert fts.korean_stem("환불했어요") == "환불했어요"  # a verb ending is no particle


def test_cjk_runs_do_not_join_across_a_gap(tmp_path: Path) -> None:
    # "退款 款项" holds the runs 退款 and 款项; 退款项 is in neither.
    # Bigram adjacency across the two runs must not fake a match.
    desk = make_desk(tmp_path)
    try:
        desk.svc.create_ticket("x", "退款 款项", "a@example.com")
        desk.svc.create_ticket("y", "환불 불편 안내", "b@example.com")
        assert hits(desk, "退款") == [1]
        assert hits(desk, "退款项") == []
        assert hits(desk, "환불편") == []  # 환불 + 불편 share 불, but 환불편 is nowhere
        assert hits(desk, "불편") == [2]
    finally:
        desk.store.close()


@pytest.mark.parametrize(
    "text",
    [
        "AND",
        "OR refund",
        "NOT refund",
        "refund AND",
        "NEAR(refund late)",
        '"refund',  # an unclosed quote is a syntax error of ours, not of FTS5
        '"refund" "late"',
        "'refund late'",
        "*",
        "-",
        "- refund",
        "-refund",
        "refund*",
        "**",
        "^refund",
        "+refund",
        "(refund",
        "refund)",
        "{text cjk}: refund",
        "ticket_fts",
        '"""',
        "환불*",
        "退*",
        "a:/b",
        "_",
        "refund _",
        "\u0301",
        "http://x",
    ],
)
def test_fts_syntax_in_user_input_never_errors(desk: Desk, text: str) -> None:
    try:
        query = parse_query(text)
    except QuerySyntaxError:
        assert text.count('"') % 2 == 1 or text.count("'") % 2 == 1
        return
    queries.list_tickets(desk.store, query)
    queries.count_tickets(desk.store, query)


@pytest.mark.parametrize("word", ["text:refund", "cjk:환불", "col:refund", "subject:refund"])
def test_column_filters_in_words_are_searched_as_text(desk: Desk, word: str) -> None:
    # The parser refuses unknown fields; words that reach the index as-is must not be columns.
    with pytest.raises(QuerySyntaxError):
        parse_query(word)
    rows = queries.list_tickets(desk.store, TicketQuery(words=(word,))).rows
    assert all(r.number in (1, 2, 4, 7, 8) for r in rows)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.one_of(
            st.text(max_size=8),
            st.sampled_from(['"', "*", "-", ":", "(", ")", "NEAR", "AND", "^", "환불", "退"]),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_any_words_reach_the_index_safely(desk: Desk, words: list[str]) -> None:
    queries.list_tickets(desk.store, TicketQuery(words=tuple(words)))
    expr = fts.match_expression(tuple(words))
    assert expr is None or expr.strip()


def test_subject_and_body_hits_both_count(desk: Desk) -> None:
    assert hits(desk, "delivery") == [3]  # subject only
    assert hits(desk, "courier") == [3]  # body only
    assert hits(desk, "late courier") == [3]  # both in the body
    assert hits(desk, "delivery late") == [3]  # both in the subject (late is in the body too)


def test_words_may_split_between_subject_and_body(desk: Desk) -> None:
    # Free words filter tickets: a ticket whose subject says "Delivery" and whose body
    # says "courier" is a match for "delivery courier", as it is for each word alone.
    assert hits(desk, "delivery courier") == [3]
    assert hits(desk, "문의 취소") == [4]  # subject 환불 문의, body ...취소되었어요


def test_words_combine_with_field_filters(desk: Desk) -> None:
    assert hits(desk, "refund status:new") == [1, 2, 8]
    assert hits(desk, "password status:solved") == [9]
    assert hits(desk, "password status:new,open") == []
    assert hits(desk, "address tag:billing") == [10]
    assert hits(desk, "address") == [2, 10]
    assert hits(desk, "환불 from:c4@example.com") == [4]
    assert hits(desk, "refund from:c2@example.com,c8@example.com") == [2, 8]


def test_search_results_come_newest_first_and_page(desk: Desk) -> None:
    query = parse_query("refund")
    rows = queries.list_tickets(desk.store, query).rows
    keys = [(r.updated_at, r.id) for r in rows]
    assert keys == sorted(keys, reverse=True)
    first = queries.list_tickets(desk.store, query, limit=2)
    assert len(first.rows) == 2
    assert first.next is not None
    rest = queries.list_tickets(desk.store, query, after=first.next, limit=2)
    assert [r.number for r in first.rows + rest.rows] == [r.number for r in rows]
    assert rest.next is None


def test_replies_and_notes_are_searchable(tmp_path: Path) -> None:
    desk = make_desk(tmp_path)
    try:
        number = desk.svc.create_ticket("Question", "hello", "a@example.com").number
        desk.svc.add_reply(number, "Try the kangaroo setting")
        desk.svc.add_note(number, "고객 응대 완료")
        desk.service().add_customer_message(number, "Thanks, the wombat works")
        assert hits(desk, "kangaroo") == [number]
        assert hits(desk, "wombat") == [number]
        assert hits(desk, "응대") == [number]
    finally:
        desk.store.close()


def test_subject_edit_reindexes(tmp_path: Path) -> None:
    desk = make_desk(tmp_path)
    try:
        number = desk.svc.create_ticket("Printer jammed", "paper stuck", "a@example.com").number
        other = desk.svc.create_ticket("Printer toner", "empty", "b@example.com").number
        assert hits(desk, "jammed") == [number]
        desk.svc.update_tickets([number], subject="Scanner 고장")
        assert hits(desk, "jammed") == []
        assert hits(desk, "printer") == [other]
        assert hits(desk, "scanner") == [number]
        assert hits(desk, "고장") == [number]
        desk.svc.update_tickets([number], subject="Printer jammed again")
        assert hits(desk, "고장") == []
        assert hits(desk, "scanner") == []
        assert hits(desk, "jammed") == [number]
        assert hits(desk, "printer") == [number, other]
        # The contentless index stays consistent after the deletes.
        conn = desk.raw()
        assert (
            conn.execute(
                "INSERT INTO ticket_fts (ticket_fts, rank) VALUES ('integrity-check', 1)"
            ).fetchall()
            == []
        )
        conn.close()
    finally:
        desk.store.close()


def test_index_columns_split_latin_and_cjk() -> None:
    assert fts.index_columns("plain text") == ("plain text", "")
    latin, cjk = fts.index_columns("Order 환불을 now 退款")
    assert latin.split() == ["Order", "now"]
    assert cjk.split() == ["환불", "불을", "x", "退款"]  # a separator between runs
    assert fts.bigrams("我要退款") == ["我要", "要退", "退款"]
    assert fts.bigrams("我") == ["我"]


def test_nul_character_in_search_words_is_harmless(desk: Desk) -> None:
    # The app's search box and the server's API can carry a NUL; FTS5 must never see one
    # inside its quoted strings ("unterminated string").
    for text in ("refund\x00", "\x00", "환불\x00", "ref\x00und*"):
        queries.list_tickets(desk.store, parse_query(text))
        queries.count_tickets(desk.store, parse_query(text))


# Words the porter stemmer changes (please -> pleas, happy -> happi, plead -> plead).
STEMMED = [
    ("Please help", "I am pleased with nothing."),
    ("Pleasant call", "A pleasure, really."),
    ("A plea", "We are pleading for a refund."),
    ("Happy", "Happily ever after, in happiness."),
    ("Deliveries", "Two deliveries were late."),
    ("Plain", "Nothing to see here."),
]


@pytest.mark.parametrize("prefix", ["pleas*", "plea*", "pleasu*", "happ*", "deliv*", "pl*"])
def test_prefix_whose_terms_the_stemmer_changes_is_listed_and_finds_what_fts5_finds(
    tmp_path: Path, prefix: str
) -> None:
    d = make_desk(tmp_path)
    try:
        for i, (subject, body) in enumerate(STEMMED, start=1):
            d.svc.create_ticket(subject, body, f"s{i}@example.com")
        query = parse_query(prefix)
        # Asked as the OR of words spelt to stem to each indexed term (pleas is asked as
        # please), not as FTS5's own prefix, which merges every term on each query.
        (word,) = search_words.words_of(d.store.read(), query)
        assert word.expr.startswith("text : (") and "*" not in word.expr, word.expr
        # The oracle: FTS5's own prefix over both tables, scanned whole.
        plain = fts.match_expression((prefix,))
        conn = d.raw()
        expected = sorted(
            r[0]
            for r in conn.execute(
                "SELECT number FROM ticket WHERE id IN (SELECT rowid FROM ticket_fts"
                " WHERE ticket_fts MATCH ?1 UNION SELECT ticket_id FROM message WHERE id IN"
                " (SELECT rowid FROM message_fts WHERE message_fts MATCH ?1))",
                (plain,),
            )
        )
        conn.close()
        assert expected  # every prefix here finds something
        assert hits(d, prefix) == expected
    finally:
        d.store.close()


def test_a_prefix_finds_a_term_first_indexed_after_it_was_listed(tmp_path: Path) -> None:
    # The terms under a prefix are remembered per read connection until another
    # connection commits: a new term under it must be found at once.
    d = make_desk(tmp_path)
    try:
        d.svc.create_ticket("Zebra crossing", "Stripes.", "z1@example.com")
        assert hits(d, "zebr*") == [1]
        assert hits(d, "zebr*") == [1]  # asked again, unchanged
        d.svc.create_ticket("Fish", "A zebrafish tank.", "z2@example.com")
        assert hits(d, "zebr*") == [1, 2]
        conn = d.raw()  # a plain connection lists the terms each time
        assert search_words._terms_under(conn, "zebr") == ["zebra", "zebrafish"]
        conn.close()
    finally:
        d.store.close()


@pytest.mark.parametrize("few_in_view", [100_000, 0])
@pytest.mark.parametrize(
    "text", ["refund", "the", "refund status:new", "the status:new,open", "password status:solved",
             "refu* status:new", "환불 status:new", "the tag:billing", "order 1001 status:new"],
)  # fmt: skip
def test_counts_of_common_words_equal_the_pages(
    desk: Desk, monkeypatch: pytest.MonkeyPatch, text: str, few_in_view: int
) -> None:
    """Every word common (as at 1M): the count reads whole-ticket rows, checked against
    the view's tickets (a view of few) or the other way round (`search.sqlite.count`)."""
    monkeypatch.setattr(search_words, "RARE_HITS", 0)
    monkeypatch.setattr(sqlite_search, "FEW_IN_VIEW", few_in_view)
    query = parse_query(text)
    found = queries.list_tickets(desk.store, query).rows
    assert found, "each query finds something"
    assert queries.count_tickets(desk.store, query) == len(found)
