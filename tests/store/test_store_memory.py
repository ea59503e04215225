"""Reading a store from many threads keeps the process small: bounded page caches, no map.

The app reads from up to six pool threads, each with its own connection. With a
64 MB cache per connection and a 1 GB memory map, the app held 1.1 GB resident at
1,000,000 tickets (750 MB of it the mapped file).
"""

from __future__ import annotations

import threading
from pathlib import Path

from deskterm.store.schema.db import CACHE_KIB, Store, open_store

THREADS = 6  # the app's worker pool on a 2-CPU machine (min(32, CPUs + 4))
ROWS = 8000
ROW_BYTES = 4000  # one row a page: the scan below reads ~32 MB of pages


def resident_mb() -> dict[str, float]:
    """Anonymous (heap, page caches) and file-backed (mapped files) resident memory."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return {key: int(fields[key].split()[0]) / 1024 for key in ("RssAnon", "RssFile")}


def scan(store: Store) -> int:
    """Read every page of the padding table through this thread's connection."""
    row = store.read().execute("SELECT count(*) FROM pad WHERE instr(b, x'00ff00ff') >= 0")
    return int(row.fetchone()[0])


def test_reading_from_many_threads_holds_neither_the_file_nor_a_cache_per_thread_of_it(
    tmp_path: Path,
) -> None:
    store = open_store(tmp_path / "desk.db", create=True)
    conn = store.read()
    conn.execute("CREATE TABLE pad (b BLOB)")
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO pad VALUES (randomblob(?))", [(ROW_BYTES,)] * ROWS)
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    file_mb = (tmp_path / "desk.db").stat().st_size / 2**20
    assert file_mb > 3 * CACHE_KIB / 1024  # a cache that held the whole file would show
    assert scan(store) == ROWS  # the main thread's connection is warm before measuring

    before = resident_mb()
    scanned = threading.Barrier(THREADS + 1)
    release = threading.Event()
    counts: list[int] = []

    def reader() -> None:
        counts.append(scan(store))
        scanned.wait()
        release.wait()  # the thread, and so its connection and cache, stays alive

    threads = [threading.Thread(target=reader) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    scanned.wait()
    after = resident_mb()
    release.set()
    for thread in threads:
        thread.join()
    store.close()

    assert counts == [ROWS] * THREADS
    grown = {key: after[key] - before[key] for key in after}
    assert grown["RssFile"] < file_mb / 4, grown  # the store is not mapped in
    budget = THREADS * CACHE_KIB / 1024 + 16  # each cache full, plus slack for the heap
    assert grown["RssAnon"] < budget, grown
    assert THREADS * file_mb > 2 * budget  # caches that held the file would break it
