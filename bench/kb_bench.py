"""The knowledge base with 10,000 articles: the public pages on loopback, the CLI cold.

`deskterm serve` runs on the store in its own process (as in production). Figures:
`/kb/<slug>` (the article and its related ones; its view is written later, in a batch)
read for the first time since the knowledge base changed (rendered) and again (the
kept page), and `/kb?q=` for the worst words a visitor can type (a word in most
articles, a Korean word, a prefix), each as the median time of one request on loopback
and as requests per second with 8 clients at once. Raw baselines are the same reads
through the query functions in this process; the server's CPU per article and per
search request is set against its CPU per `/healthz` (the HTTP floor): on a loaded
machine the wall time is mostly the queue for a core, the CPU is what a request costs.
`kb search` runs as a new process each time (cold start), against starting Python itself.
`python -m bench --only kb`.
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.common import Context, Figure, process_cpu_s
from bench.server_bench import _SERVE, serving

NAMES = ("kb",)
NEEDS_STORE = False
ARTICLES = 10_000
SEQUENTIAL = 200
CLIENTS = 8
EACH = 50
GOAL_ARTICLE = 0.005
GOAL_SEARCH = 0.020
SECTIONS = ("Billing", "Account", "Orders", "Shipping", "Returns", "Security", "Apps", "결제")
WORDS = [
    "refund",
    "order",
    "payment",
    "card",
    "invoice",
    "account",
    "password",
    "login",
    "email",
    "shipping",
    "delivery",
    "return",
    "label",
    "address",
    "tax",
    "receipt",
    "subscription",
    "plan",
    "upgrade",
    "cancel",
    "export",
    "report",
    "browser",
    "mobile",
    "app",
    "sync",
    "backup",
    "team",
    "member",
    "role",
    "permission",
    "notification",
    "setting",
]
KOREAN = ["환불", "주문", "결제", "배송", "계정", "비밀번호", "영수증", "구독", "취소", "주소"]
# (path, words, what): /kb?q= as searched, /kb/suggest as /contact asks while typing
SEARCHES = (("/kb?q=", "refund", "a word in most articles"),
            ("/kb?q=", "환불을", "Korean with a particle"),
            ("/kb?q=", "export backup", "two words"),
            ("/kb/suggest?q=", "pass", "a prefix while typing"))  # fmt: skip


def _drafts() -> list[object]:
    from deskterm.kb.article import ArticleDraft

    rng = random.Random(15)
    drafts = []
    for i in range(ARTICLES):
        korean = i % 10 == 0
        words = KOREAN if korean else WORDS
        title = " ".join(rng.choice(words) for _ in range(4)).capitalize() + f" {i}"
        paragraphs = [" ".join(rng.choice(words) for _ in range(40)) + "." for _ in range(4)]
        drafts.append(
            ArticleDraft(
                title,
                "\n\n".join(paragraphs),
                slug=f"article-{i}",
                section=SECTIONS[i % len(SECTIONS)],
                tags=tuple(rng.sample(WORDS, 3)),
                status="published",
                locale="ko" if korean else "en",
            )
        )
    return drafts


def _build(folder: Path) -> Path:
    from deskterm.store.schema.db import open_store
    from deskterm.store.service import Actor, Service

    db = folder / "kb.db"
    store = open_store(db, create=True)
    print(f"saving {ARTICLES:,} articles ...", file=sys.stderr)
    Service(store, Actor.system()).import_articles(_drafts())  # type: ignore[arg-type]
    store.close()
    return db


def _raw(db: Path) -> tuple[float, dict[str, float]]:
    """Medians of the same reads through the query functions (no HTTP, no template)."""
    from deskterm.store.queries import kb
    from deskterm.store.schema.db import open_store

    store = open_store(db)
    rng = random.Random(1)
    samples = []
    for _ in range(SEQUENTIAL):
        slug = f"article-{rng.randrange(ARTICLES)}"
        start = time.perf_counter()
        found = kb.find_article(store, slug, published_only=True).article
        kb.related(store, found)
        samples.append(time.perf_counter() - start)
    searches = {}
    for path, words, _what in SEARCHES:
        timed = []
        for _ in range(50):
            start = time.perf_counter()
            kb.search_articles(store, words, published_only=True, prefix_last="suggest" in path)
            timed.append(time.perf_counter() - start)
        searches[words] = statistics.median(timed)
    store.close()
    return statistics.median(samples), searches


def _sequential(url: str, paths: list[str], pid: int, warm: int = 10) -> tuple[float, float]:
    """Median wall time of one request, and the server's CPU per request."""
    with httpx.Client(base_url=url, timeout=60) as client:
        for path in paths[:warm]:
            client.get(path).raise_for_status()
        samples = []
        cpu = process_cpu_s(pid)
        for path in paths:
            start = time.perf_counter()
            client.get(path).raise_for_status()
            samples.append(time.perf_counter() - start)
        cpu = process_cpu_s(pid) - cpu
    return statistics.median(samples), cpu / len(paths)


async def _client(url: str, paths: list[str]) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        for path in paths:
            (await client.get(path)).raise_for_status()


def _throughput(url: str, paths: list[str]) -> float:
    async def load() -> None:
        await asyncio.gather(*(_client(url, paths[i::CLIENTS]) for i in range(CLIENTS)))

    start = time.perf_counter()
    asyncio.run(load())
    return len(paths) / (time.perf_counter() - start)


def _cold_cli(db: Path, folder: Path) -> tuple[float, float]:
    """`deskterm kb search refund` as a new process, and Python starting with nothing to do."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DESKTERM_")}
    env["XDG_CONFIG_HOME"] = str(folder / "xdg")
    cli = [sys.executable, "-c", _SERVE, "--db", str(db), "kb", "search", "refund"]

    def timed(argv: list[str]) -> float:
        samples = []
        for _ in range(7):
            start = time.perf_counter()
            subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)
            samples.append(time.perf_counter() - start)
        return statistics.median(samples)

    return timed(cli), timed([sys.executable, "-c", "pass"])


def run(ctx: Context, only: str | None) -> list[Figure]:
    folder = Path(tempfile.mkdtemp(prefix="deskterm-kb-bench-"))
    try:
        db = _build(folder)
        raw_article, raw_search = _raw(db)
        cli, python = _cold_cli(db, folder)
        with serving(db, folder) as (url, pid):
            _wall, floor_cpu = _sequential(url, ["/healthz"] * SEQUENTIAL, pid)
            rng = random.Random(2)
            articles = [f"/kb/article-{i}" for i in rng.sample(range(ARTICLES), SEQUENTIAL)]
            first, first_cpu = _sequential(url, articles, pid, warm=0)
            again, again_cpu = _sequential(url, articles, pid, warm=0)
            article_rps = _throughput(url, [f"/kb/article-{i}" for i in range(CLIENTS * EACH)])
            searched = {}
            for path, words, _what in SEARCHES:
                paths = [f"{path}{words}"] * 60
                searched[words] = (*_sequential(url, paths, pid), _throughput(url, paths * 2))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    size = f"{ARTICLES:,} articles, SQLite, loopback"
    figures = [
        Figure("kb", "/kb/<slug> median, first read", first, "s", size, raw=raw_article,
               goal="<= 5 ms", ok=first <= GOAL_ARTICLE, extra="(rendered)"),
        Figure("kb", "/kb/<slug> median, read again", again, "s", size, raw=raw_article,
               goal="<= 5 ms", ok=again <= GOAL_ARTICLE, extra="(the kept page)"),
        Figure("kb", "/kb/<slug> server CPU, first read", first_cpu, "s", size,
               raw=floor_cpu, extra="(raw: /healthz)"),
        Figure("kb", "/kb/<slug> server CPU, read again", again_cpu, "s", size,
               raw=floor_cpu, extra="(raw: /healthz)"),
        Figure("kb", "/kb/<slug> throughput", article_rps, "req/s", f"{size}, {CLIENTS} clients"),
    ]  # fmt: skip
    for path, words, what in SEARCHES:
        median, cpu, rps = searched[words]
        figures.append(
            Figure("kb", f"{path}{words} median", median, "s", f"{size}, {what}",
                   raw=raw_search[words], goal="<= 20 ms", ok=median <= GOAL_SEARCH)
        )  # fmt: skip
        figures.append(
            Figure("kb", f"{path}{words} server CPU", cpu, "s", f"{size}, {what}",
                   raw=floor_cpu, goal="<= 20 ms", ok=cpu <= GOAL_SEARCH,
                   extra="(raw: /healthz)")
        )  # fmt: skip
        figures.append(
            Figure("kb", f"{path}{words} throughput", rps, "req/s", f"{size}, {CLIENTS} clients")
        )
    figures.append(
        Figure("kb", "deskterm kb search refund, cold", cli, "s", size, raw=python,
               extra="(raw: python -c pass)")
    )  # fmt: skip
    return figures
