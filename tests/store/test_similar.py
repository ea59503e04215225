"""Similar solved tickets: ranked by what they share, with the reasons, in English and CJK."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.store import Desk, make_desk

from deskterm.assist.terms import stem, ticket_terms
from deskterm.errors import NotFoundError
from deskterm.store.queries.similar import list_similar


@pytest.fixture  # a SQLite file, then a PostgreSQL database
def desk(tmp_path: Path, store_location: Path | str) -> Iterator[Desk]:
    d = make_desk(tmp_path, at=store_location)
    yield d
    d.store.close()


def solved(desk: Desk, subject: str, body: str, email: str, tags: tuple[str, ...] = ()) -> int:
    number = desk.svc.create_ticket(subject, body, email, tags=list(tags)).number
    desk.svc.set_status(number, "solved")
    return number


def test_terms_drop_common_words_and_pair_cjk_like_the_search_index() -> None:
    terms = ticket_terms("Hello, my refunds for the headphones? 我要退款")
    assert [t.word for t in terms] == ["refunds", "headphones", "我要", "要退", "退款"]
    assert stem("refunded") == stem("refunds") == "refund"
    assert stem("bus") == "bus"  # short words stay whole


def test_solved_tickets_sharing_rare_words_come_first_with_their_reasons(desk: Desk) -> None:
    refund = solved(
        desk, "Refund for the headphones", "The headphones arrived broken, I want a refund.",
        "ana@acme.test", ("refund",),
    )  # fmt: skip
    other_refund = solved(
        desk, "Refund please", "My refund never reached the card.", "li@beta.test", ("refund",)
    )
    solved(desk, "Password reset", "The reset mail never arrives.", "bo@beta.test", ("login",))
    still_open = desk.svc.create_ticket(
        "Headphones refund", "Broken headphones, refund?", "zed@x.test"
    ).number
    for i in range(6):  # common words everywhere: they must not decide
        solved(desk, f"Question {i}", "Please help with my account settings.", f"q{i}@x.test")
    asked = desk.svc.create_ticket(
        "Broken headphones", "My headphones are broken. Could I get a refund?", "ana@acme.test",
        tags=["refund"],
    ).number  # fmt: skip
    found = list_similar(desk.store, asked)
    numbers = [s.number for s in found]
    assert numbers[:2] == [refund, other_refund]
    assert still_open not in numbers and asked not in numbers
    best = found[0]
    assert set(best.shared_terms) == {"headphones", "broken", "refund"}
    assert best.shared_terms[-1] == "refund"  # the most common of the three: named last
    assert best.same_customer and best.shared_tags == ("refund",)
    assert best.reasons[1:] == ("same customer", "tags refund")
    assert best.reasons[0].startswith("shares ") and "refund" in best.reasons[0]
    assert found[0].score > found[1].score > 0
    assert all(s.score > 0 for s in found)


def test_korean_chinese_and_japanese_tickets_meet_inside_longer_runs(desk: Desk) -> None:
    zh = solved(desk, "退款还没有到账", "我已经退货一个星期了，退款还没有到账。", "w@x.cn")
    ko = solved(desk, "환불 요청", "지난주에 반품했는데 환불이 처리되지 않았습니다.", "k@x.kr")
    ja = solved(
        desk, "ログインできません", "パスワードを変更してからログインできません。", "j@x.jp"
    )
    asked_zh = desk.svc.create_ticket("我要退款", "我要退款，商品坏了。", "z@x.cn").number
    asked_ko = desk.svc.create_ticket("환불해 주세요", "환불을 원합니다.", "m@x.kr").number
    asked_ja = desk.svc.create_ticket("ログインの問題", "ログインできない", "s@x.jp").number
    assert [s.number for s in list_similar(desk.store, asked_zh)][:1] == [zh]
    assert "退款" in list_similar(desk.store, asked_zh)[0].shared_terms
    assert [s.number for s in list_similar(desk.store, asked_ko)][:1] == [ko]
    assert [s.number for s in list_similar(desk.store, asked_ja)][:1] == [ja]


def test_nothing_alike_gives_nothing_and_an_unknown_ticket_is_an_error(desk: Desk) -> None:
    solved(desk, "Invoice copy", "Send the invoice again.", "a@x.test")
    lonely = desk.svc.create_ticket("Xylophone", "Zebra quokka.", "b@x.test").number
    assert list_similar(desk.store, lonely) == []
    with pytest.raises(NotFoundError, match="no ticket #999"):
        list_similar(desk.store, 999)
