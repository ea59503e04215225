"""The query language: DESIGN.md examples, one-line errors, and round trips (hypothesis)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from deskterm.errors import QuerySyntaxError, UsageError
from deskterm.query.syntax import (
    DATE_FIELDS,
    FIELDS,
    IS_VALUES,
    SLA_VALUES,
    DateFilter,
    TicketQuery,
    format_query,
    parse_query,
)
from deskterm.vocab import Priority, Status

STATUSES = tuple(s.value for s in Status)
PRIORITIES = tuple(p.value for p in Priority)
CHANNELS = ("email", "web", "phone")


# -- examples from DESIGN.md and the module docstring --------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("status:open,pending", TicketQuery(status=("open", "pending"))),
        ("priority:urgent", TicketQuery(priority=("urgent",))),
        ("assignee:me", TicketQuery(assignee=("me",))),
        ("assignee:none", TicketQuery(assignee=("none",))),
        ("assignee:Bo", TicketQuery(assignee=("Bo",))),
        ("tag:billing", TicketQuery(tag=(("billing",),))),
        ("from:ana@example.com", TicketQuery(from_=("ana@example.com",))),
        ("customer:acme", TicketQuery(customer=("acme",))),
        ("created>2026-01-01", TicketQuery(dates=(DateFilter("created", ">", "2026-01-01"),))),
        ("updated<7d", TicketQuery(dates=(DateFilter("updated", "<", "7d"),))),
        ("sla:breached", TicketQuery(sla=("breached",))),
        ("due<2h", TicketQuery(dates=(DateFilter("due", "<", "2h"),))),
        ("refund", TicketQuery(words=("refund",))),
        ('"exact phrase"', TicketQuery(words=("exact phrase",))),
        ("환불 退款", TicketQuery(words=("환불", "退款"))),
        ("", TicketQuery()),
        ("   ", TicketQuery()),
    ],
)
def test_design_examples(text: str, expected: TicketQuery) -> None:
    assert parse_query(text) == expected


def test_docstring_example_parses_every_field() -> None:
    query = parse_query(
        "refund status:open,pending tag:billing from:ana@example.com"
        ' created>2026-01-01 updated<7d assignee:me priority:high,urgent "exact phrase"'
    )
    assert query == TicketQuery(
        words=("refund", "exact phrase"),
        status=("open", "pending"),
        priority=("high", "urgent"),
        assignee=("me",),
        tag=(("billing",),),
        from_=("ana@example.com",),
        dates=(DateFilter("created", ">", "2026-01-01"), DateFilter("updated", "<", "7d")),
    )


def test_normalisation() -> None:
    query = parse_query(
        "status:On-Hold,open,OPEN priority:HIGH tag:Billing,VIP tag:late from:Ana@Example.COM"
        " channel:Web group:Tier2 status:open"
    )
    assert query.status == ("on_hold", "open")
    assert query.priority == ("high",)
    assert query.tag == (("billing", "vip"), ("late",))
    assert query.from_ == ("ana@example.com",)
    assert query.channel == ("web",)
    assert query.group == ("Tier2",)


def test_all_date_operators_and_ages() -> None:
    for op in (">=", "<=", ">", "<", ":"):
        query = parse_query(f"created{op}2026-02-28")
        assert query.dates == (DateFilter("created", op, "2026-02-28"),)
    for age in ("30m", "12h", "7d", "2w"):
        assert parse_query(f"updated>{age}").dates == (DateFilter("updated", ">", age),)


def test_urls_and_unknown_operators_are_words() -> None:
    assert parse_query("https://example.com/a?b=c").words == ("https://example.com/a?b=c",)
    assert parse_query("x>5 a<b").words == ("x>5", "a<b")
    assert parse_query("Status:open").words == ("Status:open",)


def test_two_tag_fields_mean_both() -> None:
    query = parse_query("tag:a tag:b,c")
    assert query.tag == (("a",), ("b", "c"))


def test_merged_narrows_a_view() -> None:
    view = parse_query("status:open,pending tag:billing")
    search = parse_query("status:pending refund tag:vip")
    both = view.merged(search)
    assert both.status == ("pending",)
    assert both.tag == (("billing",), ("vip",))
    assert both.words == ("refund",)
    # Disjoint statuses must match nothing, not everything.
    assert parse_query("status:open").merged(parse_query("status:solved")).status != ()


# -- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("refund foo:bar", ["'foo'", "foo:bar"]),
        ("status:opne", ["opne"]),
        ("status:open,shut", ["shut"]),
        ("priority:mega", ["mega"]),
        ("channel:fax", ["fax"]),
        ("created>2026-13-01", ["2026-13-01"]),
        ("created>yesterday", ["yesterday"]),
        ("updated<7y", ["7y"]),
        ('refund "unclosed', ['"unclosed']),
        ("it's broken", ["it's broken"]),
        ("updated:7d", ["updated:7d", "updated<7d"]),
        ("status>open", ["status>open"]),
        ("-status:open", ["-status:open"]),
        ("tag:", ["tag:"]),
        ("tag:,,", ["tag:"]),
    ],
)
def test_bad_syntax_is_one_line_naming_the_bad_token(text: str, names: list[str]) -> None:
    with pytest.raises(QuerySyntaxError) as err:
        parse_query(text)
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith("bad query")
    for name in names:
        assert name in message
    assert isinstance(err.value, UsageError)
    assert err.value.exit_code == 2


@pytest.mark.parametrize(
    "text",
    [
        'status:"op\nen"',
        'priority:"hi\ngh"',
        'channel:"a\nb"',
        'updated<"7d\n"',
        "created>'2026\n'",
    ],
)
def test_errors_stay_on_one_line_when_the_value_holds_a_newline(text: str) -> None:
    # A value with a newline is not valid anywhere; the error must not echo it raw.
    with pytest.raises(QuerySyntaxError) as err:
        parse_query(text)
    assert "\n" not in str(err.value)


# -- hypothesis: never a crash, always a round trip ------------------------------------------

OPS = (">=", "<=", ">", "<", ":")
_piece = st.one_of(
    st.text(max_size=12),
    st.sampled_from((*FIELDS, "foo", "sla", "is", "http", "text")),
    st.sampled_from((*OPS, "-", ",", '"', "'", "*", " ", "\n", "\t", "\x0b", "/", "\\")),
    st.sampled_from(STATUSES + PRIORITIES + CHANNELS + ("me", "none", "On-Hold")),
    st.sampled_from(("2026-01-01", "2026-1-1", "7d", "30m", "2w", "0d", "99999999999w", "٣d")),
    st.sampled_from(("환불", "退款", "返金", "AND", "NEAR(a b)", "OR", "NOT")),
)
query_soup = st.lists(_piece, max_size=12).map("".join) | st.lists(_piece, max_size=8).map(" ".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(), query_soup))
@example('updated<"7d\n"')
@example("status:'a b',open")
@example("tag:'it'\"'\"'s'")
def test_parse_never_raises_anything_else_and_round_trips(text: str) -> None:
    try:
        query = parse_query(text)
    except QuerySyntaxError as exc:
        assert "\n" not in str(exc), "errors are one line"
        return
    canonical = format_query(query)
    assert parse_query(canonical) == query, canonical
    assert str(query) == canonical
    assert format_query(parse_query(canonical)) == canonical, "canonical text is a fixed point"


# Structured queries: canonical values as the parser would produce them.
_word_chars = st.characters(
    codec="utf-8",
    exclude_categories=("Cs", "Cc", "Zl", "Zp"),
    exclude_characters=":<>",
)
_word = st.text(_word_chars, min_size=1, max_size=10).filter(lambda w: w.strip() != "")
_value_chars = st.characters(
    codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp"), exclude_characters=","
)
_value = st.text(_value_chars, min_size=1, max_size=10).map(str.strip).filter(bool)
_lower_value = _value.filter(lambda v: v == v.lower() and v.lower().strip() == v)


def _unique(
    values: st.SearchStrategy[str], max_size: int = 3
) -> st.SearchStrategy[tuple[str, ...]]:
    return st.lists(values, max_size=max_size, unique=True).map(tuple)


_date = st.builds(
    DateFilter,
    st.sampled_from(("created", "updated")),
    st.sampled_from(OPS),
    st.dates(min_value=date(1900, 1, 1), max_value=date(9000, 12, 31))
    .map(lambda d: d.strftime("%Y-%m-%d"))
    .filter(lambda s: len(s) == 10),
) | st.builds(
    DateFilter,
    st.sampled_from(DATE_FIELDS),  # due takes ages only
    st.sampled_from((">=", "<=", ">", "<")),
    st.builds(lambda n, u: f"{n}{u}", st.integers(0, 4_000), st.sampled_from("mhdw")),
)
structured = st.builds(
    TicketQuery,
    words=st.lists(_word, max_size=4).map(tuple),
    status=_unique(st.sampled_from(STATUSES)),
    priority=_unique(st.sampled_from(PRIORITIES)),
    assignee=_unique(_value),
    tag=st.lists(st.lists(_lower_value, min_size=1, max_size=3).map(tuple), max_size=3).map(tuple),
    from_=_unique(_lower_value),
    customer=_unique(_value),
    group=_unique(_value),
    channel=_unique(st.sampled_from(CHANNELS)),
    sla=_unique(st.sampled_from(SLA_VALUES)),
    sort=st.sampled_from(("", "due", "created")),
    dates=st.lists(_date, max_size=3).map(tuple),
    is_=_unique(st.sampled_from(IS_VALUES)),
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(structured)
def test_structured_queries_round_trip(query: TicketQuery) -> None:
    text = format_query(query)
    assert parse_query(text) == query, text
    assert query.merged(TicketQuery()) == query


def test_format_quotes_what_needs_quoting() -> None:
    query = TicketQuery(
        words=("exact phrase", "it's", 'say "hi"', "a,b"),
        customer=("Acme Inc",),
        tag=(("late delivery", "vip"),),
    )
    text = format_query(query)
    assert text.startswith("tag:'late delivery',vip customer:'Acme Inc' ")
    assert parse_query(text) == query
