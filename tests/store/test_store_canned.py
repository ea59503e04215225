"""Canned replies: sandboxed rendering with fallbacks, lint, and the checks on save."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.store import Desk, make_desk, snapshot

from deskterm import canned
from deskterm.errors import NotFoundError, TemplateError, UsageError
from deskterm.store.queries import catalog as catalog_queries

GREETING = "Hi {{ customer.first_name | default('there') }},"


def context(
    customer_name: str = "Ana Lima",
    org: dict[str, str] | None = None,
    agent: dict[str, str] | None = None,
    tags: list[str] | None = None,
) -> dict[str, dict[str, object]]:
    return canned.build_context(
        {
            "number": 42,
            "subject": "Refund",
            "status": "open",
            "priority": "normal",
            "channel": "email",
            "created_at": "2026-03-02",
            "tags": tags or [],
            "group": None,
        },
        {"name": customer_name, "email": "ana@example.com"},
        agent if agent is not None else {"name": "Bo Berg", "email": "bo@desk.test"},
        org,
    )


# -- rendering -------------------------------------------------------------------------------


def test_render_fields_and_fallbacks() -> None:
    body = (
        GREETING + "\n"
        "ticket #{{ ticket.number }} ({{ ticket.subject }}) is {{ ticket.status }}.\n"
        "{{ org.name | default('your team') }} / {{ customer.last_name | default('-') }}\n"
        "{{ agent.first_name }}"
    )
    assert canned.render("r", body, context()) == (
        "Hi Ana,\nticket #42 (Refund) is open.\nyour team / Lima\nBo"
    )
    assert canned.render("r", body, context("", org={"name": "Acme", "domain": "acme.test"})) == (
        "Hi there,\nticket #42 (Refund) is open.\nAcme / -\nBo"
    )
    assert canned.render("r", GREETING, context("   ")) == "Hi there,"
    assert canned.render("r", GREETING, context("Cher")) == "Hi Cher,"


def test_missing_values_render_empty_not_undefined_errors() -> None:
    ctx = context("", agent={})
    assert canned.render("r", "[{{ customer.name }}][{{ agent.signature }}]", ctx) == "[][]"
    assert canned.render("r", "[{{ org.name.first }}]", ctx) == "[]"
    assert canned.render("r", "{% if ticket.tags %}tags{% else %}none{% endif %}", ctx) == "none"
    tagged = context(tags=["billing", "vip"])
    assert canned.render("r", "{{ ticket.tags | join(', ') }}", tagged) == "billing, vip"


def test_values_are_data_not_templates() -> None:
    ctx = context("{{ 7 * 7 }} {% raw %}")
    assert canned.render("r", "{{ customer.name }}", ctx) == "{{ 7 * 7 }} {% raw %}"


def test_context_holds_only_known_fields() -> None:
    ctx = canned.build_context(
        {"number": 1, "secret": "x"}, {"name": "A", "token_hash": "h"}, {"token": "t"}, None
    )
    assert ctx["ticket"] == {"number": 1}
    assert ctx["customer"] == {"name": "A", "first_name": "A"}
    assert ctx["agent"] == {}
    assert ctx["org"] == {}


ESCAPES = [
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ ().__class__.__base__.__subclasses__() }}",
    "{% for c in ().__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
    "{{ customer.__class__ }}",
    "{{ customer.items.__self__.__class__ }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ lipsum.__globals__['os'] }}",
    "{{ joiner.__init__.__globals__.__builtins__ }}",
    "{{ '{0.__class__}'.format(1) }}",
    "{{ ('{0.__cl' ~ 'ass__}').format(1) }}",
    "{{ self._TemplateReference__context }}",
    "{{ customer|attr('__class__') }}",
    "{{ ''['__class__'] }}",
    "{{ ticket.tags.append('x') }}{{ ticket.tags }}",
    "{{ customer.update({'name': 'x'}) }}",
    "{% set x = customer.pop('name') %}{{ x }}",
    "{{ [].__class__.__mro__[-1].__subclasses__() }}",
]


@pytest.mark.parametrize("body", ESCAPES)
def test_sandbox_blocks_attribute_escapes(body: str) -> None:
    ctx = context(tags=["billing"])
    try:
        out = canned.render("evil", body, ctx)
    except TemplateError as exc:
        out = str(exc)
        assert "\n" not in out
        assert "'evil'" in out
    for leak in ("<class", "subclasses", "builtins", "function", "module", "Popen", "os."):
        assert leak not in out.replace("__subclasses__", "").replace("__builtins__", ""), out
    # The context was not changed by the template (immutable sandbox).
    assert ctx["ticket"]["tags"] == ["billing"]
    assert ctx["customer"]["name"] == "Ana Lima"


@pytest.mark.parametrize(
    "body",
    [
        "{{ 1 / 0 }}",
        "{{ ticket.number + 'x' }}",
        "{{ range(10 ** 9) | list }}",
        "{{ '%d' % 'x' }}",
    ],
)
def test_runtime_failures_are_one_line_template_errors(body: str) -> None:
    with pytest.raises(TemplateError) as err:
        canned.render("broken", body, context())
    assert "\n" not in str(err.value)
    assert "'broken'" in str(err.value)


def test_syntax_error_when_rendering_names_the_line() -> None:
    with pytest.raises(TemplateError, match="line 3"):
        canned.render("bad", "one\ntwo\n{% if %}\n", context())


# -- lint ------------------------------------------------------------------------------------


def test_lint_clean_template() -> None:
    body = (
        GREETING + "\n{% for tag in ticket.tags %}{{ tag | upper }}{% endfor %}\n"
        "{% set who = agent.name %}{{ who }} {{ org.domain }} {{ ticket.created_at }}"
    )
    assert canned.lint(body) == []


def test_lint_reports_unknown_placeholders_with_lines() -> None:
    body = "Hi {{ customer.nmae }},\n\nthanks\n{{ tikcet.number }}\n{{ agent.signature }}"
    problems = canned.lint(body)
    assert [(p.line, p.message.split(" (")[0]) for p in problems] == [
        (1, "unknown placeholder customer.nmae"),
        (4, "unknown placeholder tikcet"),
    ]
    assert "known: name, first_name, last_name, email" in problems[0].message
    assert str(problems[0]).startswith("line 1: ")


@pytest.mark.parametrize(
    ("body", "line", "text"),
    [
        ("line one\nline two\n{% if ticket.number %}no end", 3, "endif"),
        ("{{ ticket.number", 1, ""),
        ("a\nb\n{{ ticket.number | no_such_filter }}", 3, "no_such_filter"),
        ("a\n{% if ticket.number is no_such_test %}x{% endif %}", 2, "no_such_test"),
        # Inside a block Jinja defers unknown filters to render time; lint must not.
        ("a\n{% if ticket.number %}\n{{ ticket.subject | nofilter }}{% endif %}", 3, "nofilter"),
        ("a\n\n\n{% endfor %}", 4, "endfor"),
    ],
)
def test_lint_reports_syntax_errors_with_lines(body: str, line: int, text: str) -> None:
    problems = canned.lint(body)
    assert len(problems) == 1
    assert problems[0].line == line
    assert text in problems[0].message
    assert "\n" not in str(problems[0])


# -- saving through the service ----------------------------------------------------------------


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    d = make_desk(tmp_path)
    yield d
    d.store.close()


def test_save_canned_stores_normalised_actions(desk: Desk) -> None:
    desk.svc.save_canned(
        " thanks ", GREETING, {"status": "On Hold", "priority": "HIGH", "add_tags": "Follow Up"}
    )
    record = catalog_queries.get_canned(desk.store, "thanks")
    assert record.body == GREETING
    assert record.actions == {"status": "on_hold", "priority": "high", "add_tags": ["follow-up"]}
    desk.svc.save_canned("thanks", "Bye", {}, create=False)
    assert catalog_queries.get_canned(desk.store, "thanks").body == "Bye"
    assert catalog_queries.get_canned(desk.store, "thanks").actions == {}
    with pytest.raises(UsageError, match="exists"):
        desk.svc.save_canned("thanks", "again")
    with pytest.raises(NotFoundError):
        desk.svc.save_canned("other", "x", create=False)
    desk.svc.remove_canned("thanks")
    with pytest.raises(NotFoundError):
        catalog_queries.get_canned(desk.store, "thanks")


@pytest.mark.parametrize(
    ("body", "actions", "error", "words"),
    [
        ("Hi {% if %}", None, TemplateError, ["line 1"]),
        ("a\nb\n{{ x | nofilter }}", None, TemplateError, ["line 3", "nofilter"]),
        ("{% if x %}\n{{ x | nofilter }}{% endif %}", None, TemplateError, ["line 2", "nofilter"]),
        ("ok", {"colour": "red"}, UsageError, ["'colour'", "status"]),
        ("ok", {"status": "finished"}, UsageError, ["'finished'", "solved"]),
        ("ok", {"priority": "mega"}, UsageError, ["'mega'"]),
        ("ok", {"add_tags": ["a,b"]}, UsageError, ["'a,b'"]),
        ("ok", {"add_tags": [7]}, UsageError, []),
        ("ok", {"status": 3}, UsageError, []),
        ("ok", {"assign": "ghost"}, NotFoundError, ["ghost"]),
    ],
)
def test_save_canned_refuses_broken_templates_and_actions(
    desk: Desk,
    body: str,
    actions: dict[str, object] | None,
    error: type[Exception],
    words: list[str],
) -> None:
    before = snapshot(desk)
    with pytest.raises(error) as err:
        desk.svc.save_canned("broken", body, actions)
    message = str(err.value)
    assert "\n" not in message
    for word in words:
        assert word in message
    assert snapshot(desk) == before
    assert catalog_queries.list_canned(desk.store) == []


def test_save_canned_needs_a_name(desk: Desk) -> None:
    with pytest.raises(UsageError, match="name"):
        desk.svc.save_canned("   ", "body")


def test_render_canned_for_a_ticket(desk: Desk) -> None:
    desk.svc.add_organization("Acme", "acme.test")
    desk.svc.save_canned(
        "hello",
        GREETING + " {{ org.name }} #{{ ticket.number }} {{ ticket.tags | join(',') }}"
        " {{ agent.email }}",
        {"status": "pending"},
    )
    number = desk.svc.create_ticket("Q", "b", "ana@acme.test", "Ana Lima", tags=["b", "a"]).number
    body, actions = desk.svc.render_canned(number, "hello")
    assert body == f"Hi Ana, Acme #{number} a,b me@desk.test"
    assert actions == {"status": "pending"}
    nameless = desk.svc.create_ticket("Q", "b", "x@example.org").number
    assert desk.svc.render_canned(nameless, "hello")[0].startswith("Hi there,  #")
    with pytest.raises(NotFoundError):
        desk.svc.render_canned(number, "nope")
    with pytest.raises(NotFoundError):
        desk.svc.render_canned(999, "hello")


def test_apply_canned_with_a_failing_template_writes_nothing(desk: Desk) -> None:
    desk.svc.save_canned("divide", "{{ ticket.number / 0 }}")
    number = desk.svc.create_ticket("Q", "b", "ana@example.com").number
    before = snapshot(desk)
    with pytest.raises(TemplateError):
        desk.svc.apply_canned(number, "divide")
    assert snapshot(desk) == before
