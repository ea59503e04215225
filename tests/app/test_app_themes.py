"""Dark and light themes: every word on the main screens stays readable against its background.

Readable here is WCAG's 3:1 contrast (its floor for large text and UI parts),
measured on the colours the compositor would send to the terminal. Textual's own
footer and the box-drawing decoration are left out: only what deskterm paints.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.app import make_app, make_config, seeded_copy, settle

from deskterm.config import UiConfig

FLOOR = 3.0
BAR = "▌"  # a message's kind, at the left of each of its lines: it carries meaning too


def luminance(rgb: tuple[int, int, int]) -> float:
    def channel(value: int) -> float:
        v = value / 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = rgb
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def unreadable(app) -> list[tuple[str, float]]:
    out = []
    for strip in app.screen._compositor.render_strips()[:-1]:  # the last line is the footer
        for segment in strip:
            style = segment.style
            text = segment.text
            if style is None or not (any(ch.isalnum() for ch in text) or BAR in text):
                continue
            assert style.color is not None and style.bgcolor is not None, segment
            ratio = contrast(style.color.get_truecolor(), style.bgcolor.get_truecolor())
            if ratio < FLOOR:
                out.append((segment.text.strip(), round(ratio, 2)))
    return out


@pytest.mark.parametrize("theme", ["textual-dark", "textual-light"])
async def test_main_screens_are_readable(tmp_path: Path, theme: str) -> None:
    app = make_app(seeded_copy(tmp_path), make_config(ui=UiConfig(theme=theme)))
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(app, pilot)
        assert app.theme == theme
        for keys, screen in (((), "queue"), (("3", "enter"), "ticket"), (("n",), "composer")):
            await pilot.press(*keys)
            await settle(app, pilot)
            assert unreadable(app) == [], f"{theme} {screen}"
