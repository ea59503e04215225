"""Turning page data into HTML: one Jinja2 environment (autoescape on) and Markdown.

Article text is untrusted: Markdown is rendered with raw HTML off (it shows as text)
and markdown-it's link check (no javascript:, vbscript:, file: or data: links).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markdown_it import MarkdownIt
from markupsafe import Markup

from deskterm.config import KbConfig

TEMPLATES = Path(__file__).with_name("templates")
# Scripts and styles come only from this server; the logo may be anywhere (config).
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' https: data:; script-src 'self'; style-src 'self';"
        " form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


@functools.cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["markdown"] = markdown
    return env


@functools.cache
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False}).enable("table")


def markdown(text: str) -> Markup:
    """An article's Markdown as HTML, raw HTML in it escaped."""
    return Markup(_parser().render(text))  # markdown-it escapes: html is off


def site_of(request: Request) -> KbConfig:
    from deskterm.server.deps import server_state

    return server_state(request).pages


def render_page(request: Request, template: str, **data: Any) -> str:
    """A whole page's HTML: `template` with the site's name, logo and theme."""
    return environment().get_template(template).render(site=site_of(request), **data)


def page(request: Request, template: str, status_code: int = 200, **data: Any) -> HTMLResponse:
    return html_response(render_page(request, template, **data), status_code)


def html_response(html: str, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)


def fragment(template: str, **data: Any) -> HTMLResponse:
    """A piece of a page (the suggestions while typing), escaped the same way."""
    return html_response(environment().get_template(template).render(**data))
