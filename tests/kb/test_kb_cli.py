"""`deskterm kb`: articles from the terminal, $EDITOR, and a folder of Markdown files."""

from __future__ import annotations

import json
import stat
from pathlib import Path


def _cli(run_cli, db: Path):
    def run(*args: str, **kw):
        return run_cli("--db", str(db), *args, **kw)

    return run


def test_kb_add_list_show_search_edit_rm(run_cli, tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    assert run_cli("--db", str(db), "init", "--name", "Sam Lee", "--email", "sam@example.com")
    run = _cli(run_cli, db)
    added = run(
        "kb", "add", "Refund policy", "--body", "Refunds take **5 days**.",
        "--section", "Billing", "--tag", "refund", "--status", "published",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip() == "added refund-policy"
    korean = run(
        "kb", "add", "환불 안내", "--body-file", "-", "--locale", "ko", stdin="환불을 요청하세요"
    )
    assert korean.stdout.strip() == "added 환불-안내"

    listed = json.loads(run("kb", "list", "--json").stdout)
    assert [(a["slug"], a["status"]) for a in listed] == [
        ("환불-안내", "draft"),
        ("refund-policy", "published"),
    ]
    shown = run("kb", "show", "refund-policy").stdout
    assert shown.startswith("---\ntitle: Refund policy\nslug: refund-policy\nsection: Billing\n")
    assert "Refunds take **5 days**." in shown
    found = json.loads(run("kb", "search", "환불을", "--json").stdout)
    assert [a["slug"] for a in found] == ["환불-안내"]
    assert "refund-policy" in run("kb", "search", "refunds").stdout

    renamed = run("kb", "edit", "refund-policy", "--slug", "refunds", "--title", "Refunds")
    assert renamed.stdout.strip() == "saved refunds"
    assert json.loads(run("kb", "show", "refund-policy", "--json").stdout)["slug"] == "refunds"

    missing = run("kb", "show", "nope")
    assert missing.returncode != 0
    assert missing.stderr.splitlines() == ["deskterm: no article 'nope' (see `deskterm kb list`)"]
    assert run("kb", "rm", "refunds").stdout.strip() == "removed refunds"
    assert [a["slug"] for a in json.loads(run("kb", "list", "--json").stdout)] == ["환불-안내"]


def _editor(tmp_path: Path, script: str) -> dict[str, str]:
    """An $EDITOR that runs `script` (sh) on the file it is given."""
    path = tmp_path / "editor.sh"
    path.write_text(f"#!/bin/sh\n{script}\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return {"EDITOR": str(path), "VISUAL": ""}


def test_kb_edit_in_editor_and_a_broken_edit_loses_nothing(run_cli, tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    assert run_cli("--db", str(db), "init", "--name", "Sam Lee", "--email", "sam@example.com")
    run = _cli(run_cli, db)
    run("kb", "add", "Reset password", "--body", "Old steps.")
    edited = run(
        "kb", "edit", "reset-password",
        env=_editor(tmp_path, "sed -i -e 's/^status: draft/status: published/'"
                    " -e 's/Old steps./New steps./' \"$1\""),
    )  # fmt: skip
    assert edited.returncode == 0, edited.stderr
    article = json.loads(run("kb", "show", "reset-password", "--json").stdout)
    assert (article["status"], article["body"]) == ("published", "New steps.\n")

    broken = run(
        "kb", "edit", "reset-password",
        env=_editor(tmp_path, "sed -i -e 's/^title: .*/title: [oops/' -e 's/New/Kept/' \"$1\""),
    )  # fmt: skip
    assert broken.returncode == 2
    line = broken.stderr.strip()
    assert line.startswith("deskterm: the front matter is not valid YAML")
    kept = Path(line.rsplit(" ", 1)[1])
    assert "Kept steps." in kept.read_text()
    kept.unlink()
    assert (
        json.loads(run("kb", "show", "reset-password", "--json").stdout)["body"] == "New steps.\n"
    )


def test_kb_export_then_import_round_trips(run_cli, tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    assert run_cli("--db", str(db), "init", "--name", "Sam Lee", "--email", "sam@example.com")
    run = _cli(run_cli, db)
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "Shipping-Times.md").write_text(
        "---\ntitle: Shipping times\nsection: Orders\ntags: [shipping, delivery]\n"
        "status: published\nupdated: 2025-05-01\n---\n# Shipping\n\nTwo days.\n"
    )
    (folder / "returns.md").write_text("---\ntitle: Returns\n---\nSend it back.\n")
    imported = run("kb", "import", str(folder))
    assert imported.stdout.strip() == "imported 2 articles: 2 added, 0 updated", imported.stderr
    shipping = json.loads(run("kb", "show", "shipping-times", "--json").stdout)
    assert shipping["tags"] == ["shipping", "delivery"]
    assert shipping["updated_at"] == "2025-05-01T00:00:00Z"

    out = tmp_path / "out"
    assert run("kb", "export", str(out)).stdout.strip() == f"exported 2 articles to {out}"
    assert sorted(p.name for p in out.iterdir()) == ["returns.md", "shipping-times.md"]
    (out / "returns.md").write_text(
        (out / "returns.md").read_text().replace("Send it back.", "Ship it.")
    )
    again = run("kb", "import", str(out))
    assert again.stdout.strip() == "imported 2 articles: 0 added, 2 updated"
    assert json.loads(run("kb", "show", "returns", "--json").stdout)["body"] == "Ship it.\n"

    (out / "bad.md").write_text("---\ntitle: Bad\nstatus: live\n---\nx\n")
    bad = run("kb", "import", str(out))
    assert bad.returncode == 2
    assert bad.stderr.splitlines() == [
        f"deskterm: {out / 'bad.md'}: status 'live': use published or draft"
    ]
    assert len(json.loads(run("kb", "list", "--json").stdout)) == 2
