"""Mail intake: `deskterm fetch` of 10,000 varied mails from a local Dovecot, and `import`
of the same mails as one mbox, each against a raw baseline measured in the same run
(imapclient fetch + stdlib email parse; mailbox.mbox + stdlib parse).

Needs root and dovecot (as the tests do); run with `python -m bench --only mail`.
"""

from __future__ import annotations

import email
import email.policy
import mailbox
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

from bench.common import Context, Figure

NAMES = ("mail", "fetch", "import")
NEEDS_STORE = False  # builds its own mailbox and store
COUNT = int(os.environ.get("DESKTERM_BENCH_MAILS", "10000"))
FETCH_GOAL_RATIO = 1.0  # issue #5: no slower than the raw single-process baseline


def _mails(count: int, seed: int = 7) -> list[bytes]:
    """Varied mails: plain, HTML alternatives, attachments, replies, non-ASCII, CC'd."""
    rng = random.Random(seed)
    words = ["refund", "printer", "invoice", "login", "broken", "urgent", "환불", "退款", "Grüße"]
    out: list[bytes] = []
    ids: list[str] = []
    for n in range(count):
        msg = EmailMessage()
        msg["From"] = f"Customer {n % 700} <c{n % 700}@org{n % 50}.test>"
        msg["To"] = "support@desk.test"
        if n % 9 == 0:
            msg["Cc"] = "sales@desk.test"
        msg["Subject"] = f"{rng.choice(words)} {rng.choice(words)} #{n}"
        msg["Message-ID"] = f"<bench{n}@org{n % 50}.test>"
        msg["Date"] = "Mon, 2 Mar 2026 09:00:00 +0000"
        if ids and n % 4 == 0:
            parent = rng.choice(ids[-200:])
            msg["In-Reply-To"] = parent
            msg["References"] = parent
        body = " ".join(rng.choice(words) for _ in range(rng.randint(20, 200)))
        msg.set_content(body + "\n\n> quoted older text\n> more\n")
        if n % 3 == 0:
            msg.add_alternative(f"<html><body><p>{body}</p><p><b>bold</b></p></body></html>",
                                subtype="html")  # fmt: skip
        if n % 10 == 0:
            msg.add_attachment(rng.randbytes(2000 + n % 5000), maintype="application",
                               subtype="octet-stream", filename=f"file{n % 40}.bin")  # fmt: skip
        ids.append(msg["Message-ID"])
        out.append(msg.as_bytes(policy=email.policy.SMTP))
    return out


def _fill_maildir(path: Path, mails: list[bytes]) -> None:
    """Deliver straight into the Maildir (much faster than 10,000 APPENDs)."""
    for sub in ("cur", "new", "tmp"):
        (path / sub).mkdir(parents=True, exist_ok=True)
    for n, raw in enumerate(mails):
        (path / "new" / f"{1_700_000_000 + n}.M{n}P1.bench").write_bytes(raw)
    for root, dirs, files in os.walk(path.parent):
        for name in dirs + files:
            shutil.chown(os.path.join(root, name), "nobody", "nogroup")
    shutil.chown(path.parent, "nobody", "nogroup")


def _raw_fetch(server: object, user: str) -> float:
    start = time.perf_counter()
    with server.connect(user) as client:  # type: ignore[attr-defined]  # a DovecotServer
        client.select_folder("INBOX", readonly=True)
        uids = client.search(["ALL"])
        for i in range(0, len(uids), 500):
            for data in client.fetch(uids[i : i + 500], ["BODY.PEEK[]"]).values():
                msg = email.message_from_bytes(data[b"BODY[]"], policy=email.policy.default)
                msg.get_body(("html", "plain"))
    return time.perf_counter() - start


def _deskterm(args: list[str], env: dict[str, str]) -> float:
    exe = Path(sys.executable).with_name("deskterm")
    start = time.perf_counter()
    done = subprocess.run([str(exe), *args], env=env, capture_output=True, text=True, check=False)
    took = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip() or f"exit {done.returncode}")
    return took


def run(ctx: Context, only: str | None) -> list[Figure]:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    try:
        from helpers.imap import DovecotServer  # type: ignore[import-not-found]  # tests/ on the path
    except Exception as exc:  # pytest or a server binary missing
        ctx.notes.append(f"mail skipped: {exc}")
        return []
    figures: list[Figure] = []
    mails = _mails(COUNT)
    size = f"{COUNT:,} mails, {sum(map(len, mails)) / 1e6:.0f} MB"
    work = Path(tempfile.mkdtemp(prefix="deskterm-mailbench-"))
    env = {**os.environ, "NO_COLOR": "1"}
    try:
        if only in (None, "mail", "fetch"):
            with DovecotServer() as server:
                user, password = server.new_user("bench")
                _fill_maildir(server.maildir(user), mails)
                _raw_fetch(server, user)  # warm Dovecot's index and the page cache
                raw = _raw_fetch(server, user)
                config = work / "config.toml"
                config.write_text(
                    f'[[mailbox]]\naddress = "support@desk.test"\nimap_host = "{server.host}"\n'
                    f'imap_port = {server.port}\nimap_security = "plain"\nimap_user = "{user}"\n'
                    'password_env = "BENCH_IMAP_PASSWORD"\n'
                )
                env["BENCH_IMAP_PASSWORD"] = password
                took = _deskterm(
                    ["--config", str(config), "--db", str(work / "fetch.db"), "fetch",
                     "--batch-size", "200", "--json"], env,
                )  # fmt: skip
                figures.append(
                    Figure("mail", "deskterm fetch (mails/s)", COUNT / took, "mails/s", size,
                           COUNT / raw, f"<= {FETCH_GOAL_RATIO:.0f}x raw time",
                           took / raw <= FETCH_GOAL_RATIO, f"{took:.1f} s vs raw {raw:.1f} s "
                           f"(time ratio {took / raw:.2f})")
                )  # fmt: skip
        if only in (None, "mail", "import"):
            path = work / "bench.mbox"
            box = mailbox.mbox(path)
            box.lock()
            for raw_mail in mails:
                box.add(raw_mail)
            box.flush()
            box.unlock()
            start = time.perf_counter()
            for message in mailbox.mbox(path, factory=None):
                parsed = email.message_from_bytes(bytes(message), policy=email.policy.default)
                parsed.get_body(("html", "plain"))
            raw_import = time.perf_counter() - start
            took = _deskterm(["--db", str(work / "import.db"), "import", str(path), "--json"], env)
            figures.append(
                Figure("mail", "deskterm import mbox (mails/s)", COUNT / took, "mails/s", size,
                       COUNT / raw_import, "", None,
                       f"{took:.1f} s vs raw {raw_import:.1f} s "
                       f"(time ratio {took / raw_import:.2f})")
            )  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return figures


if __name__ == "__main__":
    from bench.common import RESULTS, print_table

    ctx = Context(db=RESULTS / "unused.db", tickets=0, runs=1)
    print_table(run(ctx, sys.argv[1] if len(sys.argv) > 1 else None))
    for note in ctx.notes:
        print(f"note: {note}")
