"""Canned reply templates: rendered in Jinja2's immutable sandbox, and linted.

The sandbox refuses attribute escapes (`''.__class__`), and the context holds
only plain dicts built from a ticket, so a template can read fields and nothing
else. Empty fields are left out of the context so `default()` fallbacks apply:
`{{ customer.first_name | default("there") }}` greets an unnamed customer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from deskterm.errors import TemplateError

if TYPE_CHECKING:
    from jinja2.sandbox import ImmutableSandboxedEnvironment

# The placeholders a template may use: the contract `canned lint` checks against.
FIELDS: dict[str, tuple[str, ...]] = {
    "ticket": ("number", "subject", "status", "priority", "channel", "created_at", "tags", "group"),
    "customer": ("name", "first_name", "last_name", "email"),
    "agent": ("name", "first_name", "email", "signature"),
    "org": ("name", "domain"),
}


@dataclass(frozen=True)
class LintProblem:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@cache
def _env() -> ImmutableSandboxedEnvironment:
    from jinja2 import ChainableUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    return ImmutableSandboxedEnvironment(
        autoescape=False, undefined=ChainableUndefined, keep_trailing_newline=True
    )


def first_name(name: str) -> str:
    return name.split()[0] if name.strip() else ""


def last_name(name: str) -> str:
    parts = name.split()
    return parts[-1] if len(parts) > 1 else ""


def build_context(
    ticket: Mapping[str, Any],
    customer: Mapping[str, Any],
    agent: Mapping[str, Any],
    org: Mapping[str, Any] | None,
) -> dict[str, dict[str, Any]]:
    """The template context, with empty values dropped so fallbacks apply."""
    customer = {
        **customer,
        "first_name": first_name(customer.get("name", "")),
        "last_name": last_name(customer.get("name", "")),
    }
    agent = {**agent, "first_name": first_name(agent.get("name", ""))}
    raw = {"ticket": ticket, "customer": customer, "agent": agent, "org": org or {}}
    return {
        root: {k: v for k, v in values.items() if k in FIELDS[root] and v not in (None, "", [])}
        for root, values in raw.items()
    }


def render(name: str, body: str, context: Mapping[str, Any]) -> str:
    """Render a template; any failure is a one-line TemplateError naming the reply."""
    from jinja2 import TemplateError as JinjaError
    from jinja2 import TemplateSyntaxError
    from jinja2.exceptions import SecurityError

    try:
        return _env().from_string(body).render(**context)
    except TemplateSyntaxError as exc:
        raise TemplateError(f"canned reply {name!r}: line {exc.lineno}: {exc.message}") from exc
    except SecurityError as exc:
        raise TemplateError(f"canned reply {name!r}: not allowed: {exc}") from exc
    except JinjaError as exc:
        raise TemplateError(f"canned reply {name!r}: {exc}") from exc
    except (ArithmeticError, TypeError, ValueError, LookupError, MemoryError) as exc:
        # Runtime errors inside the template ({{ 1/0 }}, 'a' + 1): the template's fault.
        raise TemplateError(f"canned reply {name!r}: {type(exc).__name__}: {exc}") from exc


def lint(body: str) -> list[LintProblem]:
    """Syntax errors and unknown placeholders, each with its line."""
    from jinja2 import TemplateSyntaxError, nodes

    env = _env()
    try:
        tree = env.parse(body)
        env.compile(tree)  # unknown filters and tests surface here
    except TemplateSyntaxError as exc:
        return [LintProblem(exc.lineno, exc.message or "syntax error")]
    problems = _unknown_callables(tree)
    local = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
    for node in tree.find_all(nodes.Getattr):
        root = node.node
        if isinstance(root, nodes.Name) and node.attr not in FIELDS.get(root.name, (node.attr,)):
            known = ", ".join(FIELDS[root.name])
            problems.append(
                LintProblem(
                    node.lineno, f"unknown placeholder {root.name}.{node.attr} (known: {known})"
                )
            )
    for name_node in tree.find_all(nodes.Name):
        if name_node.ctx == "load" and name_node.name not in FIELDS and name_node.name not in local:
            problems.append(
                LintProblem(
                    name_node.lineno,
                    f"unknown placeholder {name_node.name} (known: {', '.join(FIELDS)})",
                )
            )
    return sorted(problems, key=lambda p: p.line)


def _unknown_callables(tree: Any) -> list[LintProblem]:
    """Filters and tests Jinja only looks up at render time (inside `{% if %}`)."""
    from jinja2 import nodes

    env = _env()
    problems = [
        LintProblem(n.lineno, f"no filter named {n.name!r}")
        for n in tree.find_all(nodes.Filter)
        if n.name not in env.filters
    ]
    problems += [
        LintProblem(n.lineno, f"no test named {n.name!r}")
        for n in tree.find_all(nodes.Test)
        if n.name not in env.tests
    ]
    return problems


def check(name: str, body: str) -> None:
    """Refuse a template that cannot render (unknown placeholders are only warnings)."""
    from jinja2 import TemplateSyntaxError

    try:
        tree = _env().parse(body)
        _env().compile(tree)
    except TemplateSyntaxError as exc:
        raise TemplateError(f"canned reply {name!r}: line {exc.lineno}: {exc.message}") from exc
    bad = _unknown_callables(tree)
    if bad:
        raise TemplateError(f"canned reply {name!r}: {bad[0]}")
